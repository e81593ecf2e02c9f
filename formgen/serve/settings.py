"""A unit's own ``formgen.yaml`` edited from the overview: its fields, checked before they are saved.

The unit's settings are what every form of the unit prints at its top (主管部门,
实施单位 …), the 汇总表's title and order, the formats built and the unit's wording.
The page edits the loader's plain data as the project editor does, and a save
merges it into the file keeping its comments (``editing``). An edit is checked as
the loader will read it: the file itself (its keys, 汇总表标题, 顺序, 格式) and every
project of the unit read with it, so that a 年度 no project can use is refused
with the field it concerns before any form stops building. Renaming a project
renames it in the 顺序 that lists it (``renamed_in_order``).

Only the ``formgen.yaml`` of a unit the user may open is read or written (the
workspace root's only by a user of every unit), never through a link nor one that is
not a plain file; it is written only when it reads as settings and breaks no project
of the unit, and the projects it is tried on read their 申报表 only in the user's units.
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
from ..load.pairing import declarations_only_in
from ..load.rules import example_name
from ..load.yamlread import MAX_FILE_CHARACTERS, read_bytes, read_documents, read_text
from ..wording import known_labels
from ..workspace.names import form_file_stem, output_file_stem, same_file_key
from ..workspace.sources import project_files
from ..writers import FORMATS
from . import editing
from .access import User, os_reason
from .checking import plain_text, shown_path
from .form import described_fields
from .paths import through_link
from .requests import change, page, read, server_of, signed_in, text_field, unit
from .units import Unit

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


def problems_of(root: Path, folder: Path, text: str, readable: tuple[Path, ...]) -> list[dict]:
    """What is wrong with ``text`` as the ``formgen.yaml`` of ``folder``: its own problems, or those
    it causes in the projects below it, each once with how many projects it concerns (a 申报表 a
    自评表 names is read only inside the ``readable`` folders)."""
    path = folder / SETTINGS_FILE
    try:
        settings = read_settings(folder, root, {path: text})
        if len(read_documents(text, display_path(path))) > 1:
            raise ProjectError([Problem(display_path(path), None, "", "formgen.yaml 只能有一个文档（不能用 ---）")])
    except ProjectError as error:
        return [_said(shown_path(p, root), 1) for p in error.problems]
    with declarations_only_in(readable):
        counted, forms = _caused(root, folder, path, text)
    said = [(problem, count) for problem, count in counted.values()]
    if settings.compilation_title and settings.compilation_folder == folder:
        said += [(problem, 1) for problem in _title_taken(settings.compilation_title, forms, path)]
    [document] = read_documents(text, display_path(path)) or [None]
    for key, value in document.data.items() if document else ():
        if message := example_name(key, value):  # the projects say it too, once the file is saved
            said.append((Problem(display_path(path), document.line_of((key,)), key, message, "warning"), 1))
    return [_said(shown_path(problem, root), count) for problem, count in said]


def _title_taken(title: str, forms: list, path: Path) -> list[Problem]:
    """The 汇总表 would be written over a form of the folder (``formgen build`` refuses it too)."""
    stem = output_file_stem(title)
    named = next((form for form in forms if same_file_key(form_file_stem(form.name, form.form)) == same_file_key(stem)), None)
    if named is None:
        return []
    return [Problem(display_path(path), None, "汇总表标题",
                    f"汇总表的文件名「{stem}」与项目「{named.name}」的表单相同，会覆盖该表单，请改用不同的汇总表标题")]


def _caused(root: Path, folder: Path, path: Path, text: str) -> tuple[dict[tuple, list], list]:
    """The errors ``text`` causes in the projects below ``folder``, counted; and the projects of
    ``folder`` itself that load (the forms built beside its 汇总表)."""
    counted: dict[tuple, list] = {}
    forms = []
    for file in project_files(folder):
        if through_link(root, file):
            continue
        try:
            settings = read_settings(file.parent, root, {path: text})
            documents = read_documents(read_text(file), display_path(file))
        except ProjectError:
            continue  # the project's own slip (or a formgen.yaml further down): not this edit's
        for document in documents:
            try:
                loaded = load_document(document, file, settings)
            except ProjectError as error:
                for problem in error.problems:
                    if problem.file == display_path(path):
                        counted.setdefault((problem.field, problem.message), [problem, 0])[1] += 1
            else:
                if file.parent == folder:
                    forms.append(loaded.project)
    return counted, forms


def _said(problem: Problem, projects: int) -> dict:
    text = plain_text(problem)
    if projects > 1:
        text += f"（{projects} 个项目）"
    return {"level": problem.level, "field": problem.field, "message": problem.message, "text": text}


def order_files(top: Path, folder: Path) -> list[Path]:
    """The ``formgen.yaml`` files from ``folder`` up to ``top`` (which may exist or not)."""
    files = [folder / SETTINGS_FILE]
    while folder != top and top in folder.parents:
        folder = folder.parent
        files.append(folder / SETTINGS_FILE)
    return files


def renamed_in_order(top: Path, folder: Path, old: str | None, new: str) -> None:
    """Rename ``old`` to ``new`` in every 顺序 of the ``formgen.yaml`` chain from ``folder`` up to
    ``top`` (the user's unit, or the workspace for a user of every unit: a file of a folder the
    user may not open is not theirs to change)."""
    for path in order_files(top, folder) if old else ():
        if path.is_symlink() or not path.is_file():
            continue
        try:
            text = read_text(path)
        except ProjectError:
            continue  # not UTF-8: its own page says so; the rename is not held up by it
        data = editing.plain_data(text)
        order = data.get("顺序") if data else None
        if isinstance(order, list) and old in order:
            data["顺序"] = [new if name == old else name for name in order]
            editing.save(path, editing.updated_text(text, data), editing.version_of(read_bytes(path)))


# --- routes ---------------------------------------------------------------------------------------------

def settings_file(request: Request, user: User, name: object) -> tuple[Path, Path]:
    """The folder of a unit ``user`` may open, and its ``formgen.yaml`` (which need not exist yet)."""
    folder = unit(request, user, name)
    path = folder / SETTINGS_FILE
    if path.is_symlink() or (path.exists() and not path.is_file()):
        raise HTTPException(404, f"不能打开此单位的 {SETTINGS_FILE}：它是链接或不是普通文件")
    return folder, path


def _current(path: Path, root: Path) -> tuple[str, str | None]:
    """The file's text and version ("" and None when there is none yet)."""
    return read(path, root) if path.exists() else ("", None)


async def settings_page(request: Request) -> Response:
    user = signed_in(request)
    name = request.query_params.get("unit")
    folder, path = settings_file(request, user, name)
    server = server_of(request)
    root = server.workspace.root

    def work():
        text, version = _current(path, root)
        entry = server.workspace.unit(user, name) or Unit(name, [])  # the root is listed only with a 汇总表
        projects = [p.checked.name for p in entry.projects if p.checked.name]
        above = {}
        if folder != root:
            try:
                above = read_settings(folder.parent, root).defaults
            except ProjectError:
                pass  # the page of that folder says what is wrong there
        state = {"unit": name, "version": version, "text": text,
                 "data": editing.plain_data(text) if text.strip() else {}, "fields": settings_fields(projects),
                 "inherited": {k: v for k, v in above.items() if isinstance(v, str)}}
        return page(request, "settings.html", {"unit": entry, "state": state})

    return await server.work(user, work)


async def _edited(request: Request) -> tuple[User, Path, Path, str, dict]:
    """Who asks, the unit's folder and formgen.yaml, and the edited text of a change to it."""
    user, body = await change(request)
    folder, path = settings_file(request, user, body.get("unit"))
    root = server_of(request).workspace.root
    text = text_field(body, "text", "单位设置文本", required=False)
    if text is None:  # the fields, merged into the file; as text, a file that cannot be read is mended
        data = body.get("data")
        if not isinstance(data, dict):
            raise HTTPException(400, "缺少单位设置")
        current, _ = await asyncio.to_thread(_current, path, root)
        if current.strip() and editing.plain_data(current) is None:
            raise HTTPException(409, f"{SETTINGS_FILE} 有 YAML 错误或含多个文档，请在文本页改正")
        text = await asyncio.to_thread(editing.updated_text, current, data)
    if len(text) > MAX_FILE_CHARACTERS:
        raise HTTPException(413, f"文件最多 {MAX_FILE_CHARACTERS:,} 字")
    return user, folder, path, text, body


async def api_check(request: Request) -> Response:
    user, folder, _, text, _ = await _edited(request)
    server = server_of(request)
    root = server.workspace.root
    problems = await server.work(user, problems_of, root, folder, text, user.folders(root))
    return JSONResponse({"problems": problems, "text": text})


async def api_save(request: Request) -> Response:
    """Save the unit's settings unless they are wrong (the projects keep building meanwhile)."""
    user, folder, path, text, body = await _edited(request)
    made_from = text_field(body, "version", "版本", required=False)
    server = server_of(request)
    root = server.workspace.root
    problems = await server.work(user, problems_of, root, folder, text, user.folders(root))
    if any(p["level"] == "error" for p in problems):
        return JSONResponse({"error": "单位设置有错误，未保存：请按各字段旁的提示改正", "problems": problems}, 422)
    async with server.locked(path):
        try:
            version = await asyncio.to_thread(editing.save, path, text, made_from)
        except editing.Conflict:
            return JSONResponse({"error": "保存被拒绝：单位设置在您打开后已被修改。请重新载入后再改。"}, 409)
        except OSError as error:  # written whole or not at all: the file is as it was
            raise HTTPException(507, f"保存失败，文件未改动：{os_reason(error)}") from None
    build = server.builder.request(None if folder == root else folder.name)  # the page follows it to its end
    return JSONResponse({"version": version, "text": text, "data": editing.plain_data(text), "problems": problems,
                         "build": build})


ROUTES = [Route("/settings", settings_page), Route("/api/settings/check", api_check, methods=["POST"]),
          Route("/api/settings/save", api_save, methods=["POST"])]
