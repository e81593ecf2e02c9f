"""The editor's and the overview's JSON calls: check, preview, save, new, rename, delete, build.

Every call that changes something is a POST carrying the session's CSRF token
(``requests.change``); every path it names is checked against the workspace and
the user's units (``requests.project``, ``requests.unit``).
"""

from __future__ import annotations

import asyncio
import base64
import datetime
from pathlib import Path

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..load.yamlread import MAX_FILE_CHARACTERS
from ..workspace.names import output_file_stem
from ..yamlwrite import dump
from . import editing
from .access import User
from .checking import check_text
from .paths import relative_name
from .preview import Busy
from .requests import change, inherited, project, read, server_of, signed_in, unit


def _text_of(body: dict, path: Path) -> str:
    """The project text a request carries: its YAML text, or its form data merged into the file."""
    if isinstance(body.get("text"), str):
        text = body["text"]
    elif isinstance(body.get("data"), dict):
        current, _ = read(path)
        if current.strip() and editing.plain_data(current) is None:  # never replace several projects by one
            raise HTTPException(409, "此文件含多个项目或有 YAML 错误，请在 YAML 页编辑")
        text = editing.updated_text(current, body["data"])
    else:
        raise HTTPException(400, "缺少项目内容")
    if len(text) > MAX_FILE_CHARACTERS:
        raise HTTPException(413, f"项目文件最多 {MAX_FILE_CHARACTERS:,} 字")
    return text


async def _edited(request: Request) -> tuple[Path, str]:
    """The project file a change names, and its edited (unsaved) text."""
    user, body = await change(request)
    path = project(request, user, body.get("path"))
    return path, _text_of(body, path)


async def api_check(request: Request) -> Response:
    """The messages and figures of an edited, unsaved text; the text and data of its other tab."""
    path, text = await _edited(request)
    checked = await asyncio.to_thread(check_text, server_of(request).workspace.root, path, text)
    return JSONResponse({**checked.as_json(), "text": text, "data": editing.plain_data(text)})


async def api_preview(request: Request) -> Response:
    path, text = await _edited(request)
    server = server_of(request)
    try:
        pages = await server.previewer.pages(server.workspace.root, path, text)
    except Busy as error:
        return JSONResponse({"error": str(error)}, 503)
    if isinstance(pages, str):
        return JSONResponse({"error": pages}, 422)
    return JSONResponse({"pages": ["data:image/png;base64," + base64.b64encode(p).decode() for p in pages]})


async def api_version(request: Request) -> Response:
    user = signed_in(request)
    path = project(request, user, request.query_params.get("path"))
    return JSONResponse({"version": editing.version_of(path.read_bytes())})


async def api_save(request: Request) -> Response:
    """Save an edited project: refused when the file changed since the browser read it."""
    user, body = await change(request)
    path = project(request, user, body.get("path"))
    server = server_of(request)
    async with server.saving:
        text = _text_of(body, path)
        try:
            version = editing.save(path, text, body.get("version"))
        except editing.Conflict as conflict:
            return JSONResponse({"error": "保存被拒绝：此项目在您打开后已被修改（他人或其他程序）。请对照两个版本，"
                                          "重新载入后再改，或确认用您的版本覆盖。",
                                 "current": conflict.current.decode("utf-8-sig", errors="replace"),
                                 "version": editing.version_of(conflict.current), "yours": text}, 409)
    checked = await asyncio.to_thread(check_text, server.workspace.root, path, text)
    server.builder.request()
    return JSONResponse({**checked.as_json(), "version": version, "text": text, "data": editing.plain_data(text)})


# --- the overview's actions -----------------------------------------------------------------------------

async def api_new(request: Request) -> Response:
    """A new 申报表 in a unit, or a 自评表 drafted from a 申报表 (``formgen new``)."""
    user, body = await change(request)
    folder = unit(request, user, body.get("unit"))
    name = _project_name(body)
    root = server_of(request).workspace.root
    source = body.get("from")
    if source is not None:
        from ..commands.new import new_self_evaluation

        declaration = project(request, user, source)
        target = _new_file(request, user, declaration.parent, name)
        if await asyncio.to_thread(new_self_evaluation, declaration, target) is not None:
            raise HTTPException(400, "申报表有错误，改正后才能由它生成自评表")
    else:
        target = _new_file(request, user, folder, name)
        editing.save(target, _new_declaration(name, folder, root), None)
    server_of(request).builder.request()
    return JSONResponse({"path": relative_name(root, target)})


def _project_name(body: dict) -> str:
    """A new project name, usable as the file name as it is."""
    name = str(body.get("name", "")).strip()
    if not name or output_file_stem(name) != name:
        raise HTTPException(400, "项目名称不能为空，也不能含 \\ / : * ? \" < > | 等字符")
    return name


def _new_file(request: Request, user: User, folder: Path, name: str) -> Path:
    target = folder / f"{name}.yaml"
    project(request, user, relative_name(server_of(request).workspace.root, target), must_exist=False)
    if target.exists():
        raise HTTPException(409, f"已有同名项目文件：{target.name}")
    return target


def _new_declaration(name: str, folder: Path, root: Path) -> str:
    """A 申报表 to fill in: what the unit's formgen.yaml does not already say, and one indicator."""
    data = {"表单": "申报表", "项目名称": name}
    if "年度" not in inherited(folder, root):
        data["年度"] = datetime.date.today().year
    data["项目资金"] = {"项目资金总额": 0, "财政资金": 0, "其他资金": 0}
    data["年度总体目标"] = "待填写"
    data["绩效指标"] = {"产出指标": {"数量指标": {"待填写的指标": "待填写"}}}
    return dump(data, header=["由 formgen serve 新建；请填写标有「待填写」的字段。"])


async def api_rename(request: Request) -> Response:
    """Rename a project: its 项目名称 and its file (the old outputs go at the next build)."""
    user, body = await change(request)
    path = project(request, user, body.get("path"))
    name = _project_name(body)
    server = server_of(request)
    target = path.with_name(f"{name}{path.suffix}")
    project(request, user, relative_name(server.workspace.root, target), must_exist=False)
    async with server.saving:
        if target != path and target.exists():
            raise HTTPException(409, f"已有同名项目文件：{target.name}")
        text, version = read(path)
        editing.save(path, editing.renamed_text(text, name), version)
        path.rename(target)
    server.builder.request()
    return JSONResponse({"path": relative_name(server.workspace.root, target)})


async def api_delete(request: Request) -> Response:
    """Delete a project file; the next build removes its outputs (only files formgen wrote)."""
    user, body = await change(request)
    path = project(request, user, body.get("path"))
    server = server_of(request)
    async with server.saving:
        path.unlink()
    server.builder.request()
    return JSONResponse({"deleted": body["path"]})


async def api_build(request: Request) -> Response:
    await change(request)
    server = server_of(request)
    server.builder.request()
    result = await server.builder.wait()
    return JSONResponse({"ok": result.ok if result else False, "text": result.text if result else ""})
