"""A unit's own ``formgen.yaml`` edited from the overview: its fields, checked before they are saved.

The unit's settings are what every form of the unit prints at its top (主管部门,
实施单位 …), the 汇总表's title and order, the formats built and the unit's wording.
The page edits the loader's plain data as the project editor does, and a save
merges it into the file keeping its comments (``editing``). An edit is checked as
the loader will read it: the file itself (its keys, 汇总表标题, 顺序, 格式) and every
project of the unit read with it, so that a 年度 no project can use is refused
with the field it concerns before any form stops building. Renaming a project
renames it in the 顺序 that lists it (``renamed_in_order``).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ..errors import Problem, ProjectError
from ..files import display_path
from ..load import SETTINGS_FILE, load_document, read_settings
from ..load.model import FORM_MODELS, INHERITABLE_FIELDS
from ..load.settings import WorkspaceKeys
from ..load.yamlread import MAX_FILE_CHARACTERS, read_documents, read_text
from ..wording import known_labels
from ..workspace.sources import project_files
from ..writers import FORMATS
from . import editing
from .app import _change, _page, _server, _signed_in, _unit
from .checking import plain_text
from .form import described_fields
from .paths import ROOT_UNIT

_GROUPS = (  # how the page groups the fields, in this order
    ("表头", ("主管部门", "实施单位", "申报单位名称", "年度", "表单")),
    ("汇总表", ("汇总表标题", "顺序")),
    ("项目默认值", ("项目性质", "项目类别", "计划开始日期", "计划完成日期", "项目总目标期间")),
    ("生成与印制", ("格式", "日期格式", "金额小数位", "措辞")),
)


def settings_fields(projects: list[str]) -> list[dict]:
    """The fields of a ``formgen.yaml`` in groups: ``{group, fields: [{key, help, type, …}]}``, the
    project fields described from the models, the workspace keys from their own."""
    described = {}
    for model in FORM_MODELS.values():
        for field in described_fields(model):
            if field["key"] in INHERITABLE_FIELDS:
                described.setdefault(field["key"], field)
    described["表单"] = {**described["表单"], "choices": list(FORM_MODELS)}
    described["措辞"] = {"key": "措辞", "type": "wording", "labels": sorted(known_labels()),
                       "help": "本单位印制时与表样不同的标签：原标签 → 本单位的写法"}
    for field in WorkspaceKeys.model_fields.values():
        described[field.alias] = {"key": field.alias, "help": field.description or "", "type": "text"}
    described["顺序"].update(type="order", choices=projects)
    described["格式"].update(type="formats", choices=list(FORMATS))
    return [{"group": group, "fields": [described[key] for key in keys]} for group, keys in _GROUPS]


def problems_of(root: Path, folder: Path, text: str) -> list[dict]:
    """What is wrong with ``text`` as the ``formgen.yaml`` of ``folder``: its own problems, or those
    it causes in the projects below it, each once with how many projects it concerns."""
    path = folder / SETTINGS_FILE
    try:
        read_settings(folder, root, {path: text})
    except ProjectError as error:
        return [_said(p, 1) for p in error.problems]
    counted: dict[tuple, list] = {}
    for file in project_files(folder):
        try:
            settings = read_settings(file.parent, root, {path: text})
            documents = read_documents(read_text(file), display_path(file))
        except ProjectError:
            continue  # the project's own slip (or a formgen.yaml further down): not this edit's
        for document in documents:
            try:
                load_document(document, file, settings)
            except ProjectError as error:
                for problem in error.problems:
                    if problem.file == display_path(path):
                        counted.setdefault((problem.field, problem.message), [problem, 0])[1] += 1
    return [_said(problem, count) for problem, count in counted.values()]


def _said(problem: Problem, projects: int) -> dict:
    text = plain_text(problem)
    if projects > 1:
        text += f"（{projects} 个项目）"
    return {"level": problem.level, "field": problem.field, "message": problem.message, "text": text}


def renamed_in_order(root: Path, folder: Path, old: str | None, new: str) -> None:
    """Rename ``old`` to ``new`` in every 顺序 of the ``formgen.yaml`` chain above ``folder``."""
    while old and (folder == root or root in folder.parents):
        path = folder / SETTINGS_FILE
        if path.is_file() and not path.is_symlink():
            try:
                text = read_text(path)
            except ProjectError:
                text = ""  # not UTF-8: its own page says so; the rename is not held up by it
            data = editing.plain_data(text)
            order = data.get("顺序") if data else None
            if isinstance(order, list) and old in order:
                data["顺序"] = [new if name == old else name for name in order]
                editing.save(path, editing.updated_text(text, data), editing.version_of(path.read_bytes()))
        if folder == root:
            break
        folder = folder.parent


# --- routes ---------------------------------------------------------------------------------------------

def _settings_file(request: Request, user, unit: object) -> tuple[Path, Path]:
    folder = _unit(request, user, unit)
    path = folder / SETTINGS_FILE
    if path.is_symlink():
        raise HTTPException(404, "不能打开链接")
    return folder, path


def _current(path: Path) -> tuple[str, str | None]:
    if not path.exists():
        return "", None
    try:
        return read_text(path), editing.version_of(path.read_bytes())
    except ProjectError as error:
        raise HTTPException(422, str(error)) from None


async def settings_page(request: Request) -> Response:
    user = _signed_in(request)
    unit = request.query_params.get("unit")
    folder, path = _settings_file(request, user, unit)
    server = _server(request)
    text, version = _current(path)
    entry = await asyncio.to_thread(server.workspace.unit, unit)
    projects = [p.checked.name for p in entry.projects if p.checked.name]
    root = server.workspace.root
    above = {}
    if folder != root:
        try:
            above = read_settings(folder.parent, root).defaults
        except ProjectError:
            pass  # the page of that folder says what is wrong there
    state = {"unit": unit, "version": version, "text": text, "data": editing.plain_data(text) if text.strip() else {},
             "fields": settings_fields(projects), "inherited": {k: v for k, v in above.items() if isinstance(v, str)}}
    return _page(request, "settings.html", {"unit": entry, "state": state})


async def _edited(request: Request) -> tuple[Path, Path, str, dict]:
    user, body = await _change(request)
    folder, path = _settings_file(request, user, body.get("unit"))
    if isinstance(body.get("text"), str):  # the file as text: how one that cannot be read is mended
        text = body["text"]
    elif isinstance(body.get("data"), dict):
        current, _ = _current(path)
        if current.strip() and editing.plain_data(current) is None:
            raise HTTPException(409, f"{SETTINGS_FILE} 有 YAML 错误或含多个文档，请在文本页改正")
        text = editing.updated_text(current, body["data"])
    else:
        raise HTTPException(400, "缺少单位设置")
    if len(text) > MAX_FILE_CHARACTERS:
        raise HTTPException(413, f"文件最多 {MAX_FILE_CHARACTERS:,} 字")
    return folder, path, text, body


async def api_check(request: Request) -> Response:
    folder, _, text, _ = await _edited(request)
    problems = await asyncio.to_thread(problems_of, _server(request).workspace.root, folder, text)
    return JSONResponse({"problems": problems, "text": text})


async def api_save(request: Request) -> Response:
    """Save the unit's settings unless they are wrong (the projects keep building meanwhile)."""
    folder, path, text, body = await _edited(request)
    server = _server(request)
    problems = await asyncio.to_thread(problems_of, server.workspace.root, folder, text)
    if any(p["level"] == "error" for p in problems):
        return JSONResponse({"error": "单位设置有错误，未保存：请按各字段旁的提示改正", "problems": problems}, 422)
    async with server.saving:
        try:
            version = editing.save(path, text, body.get("version"))
        except editing.Conflict:
            return JSONResponse({"error": "保存被拒绝：单位设置在您打开后已被修改。请重新载入后再改。"}, 409)
    server.builder.request()
    return JSONResponse({"version": version, "text": text, "data": editing.plain_data(text), "problems": problems})


ROUTES = [Route("/settings", settings_page), Route("/api/settings/check", api_check, methods=["POST"]),
          Route("/api/settings/save", api_save, methods=["POST"])]
