"""The editor's and the overview's JSON calls: check, preview, save, new, rename, delete, build.

Every call that changes something is a POST carrying the session's CSRF token
(``requests.change``); every path it names is checked against the workspace and
the user's units (``requests.project``, ``requests.unit``). The work on a project's
text (merging, checking, answering it back) runs off the event loop, at most two
jobs a user at a time (``Server.work``), so that a large project delays only its
own user. A save is written whole and answered 200, or not written at all.
"""

from __future__ import annotations

import asyncio
import base64
import datetime
import json
import logging
import os
import re
import unicodedata
from pathlib import Path, PurePosixPath

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..commands.new import DraftRefused, new_self_evaluation
from ..errors import Problem, ProjectError
from ..load.pairing import declaration_path
from ..load.yamlread import MAX_FILE_CHARACTERS, read_text
from ..workspace.sources import project_files
from ..workspace.names import MAX_STEM_CHARACTERS, output_file_stem
from ..yamlwrite import dump
from . import editing
from .access import User, os_reason
from .checking import Checked, check_text
from .conflicts import conflict_view
from .paths import ROOT_UNIT, relative_name, through_link, unit_of
from .preview import Busy, Replaced
from .requests import change, csrf_token, inherited, project, read, server_of, signed_in, text_field, unit
from .settings import order_files, renamed_in_order

_LOG = logging.getLogger("formgen.serve")
_NOT_IN_FILE_NAMES = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]')
_INVISIBLE = {"Cf", "Cs", "Co", "Cn", "Zl", "Zp"}  # bidi overrides, unpaired, unassigned, line breaks


def _text_of(body: dict, path: Path, root: Path) -> str:
    """The project text a request carries: its YAML text, or its form data merged into the file."""
    text = text_field(body, "text", "项目文本", required=False)
    if text is None:
        data = body.get("data")
        if not isinstance(data, dict):
            raise HTTPException(400, "缺少项目内容")
        current, _ = read(path, root)
        if current.strip() and editing.plain_data(current) is None:  # never replace several projects by one
            raise HTTPException(409, "此文件含多个项目或有 YAML 错误，请在 YAML 页编辑")
        text = editing.updated_text(current, data)
    if len(text) > MAX_FILE_CHARACTERS:
        raise HTTPException(413, f"项目文件最多 {MAX_FILE_CHARACTERS:,} 字")
    return text


def _encoded(data: dict) -> bytes:
    """A JSON answer as bytes, made where the work was done (a worker thread: a project's text can be megabytes)."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()


def _json(content: bytes) -> Response:
    return Response(content, media_type="application/json")


def _checked_answer(root: Path, path: Path, text: str, readable: tuple[Path, ...], **extra) -> bytes:
    """What the editor shows of ``text``: messages, figures, and its text and data for the other tab."""
    checked = check_text(root, path, text, readable)
    return _encoded({**checked.as_json(), "text": text, "data": editing.plain_data(text), **extra})


async def api_check(request: Request) -> Response:
    """The messages and figures of an edited, unsaved text; the text and data of its other tab."""
    user, body = await change(request)
    path = project(request, user, body.get("path"))
    server = server_of(request)
    root = server.workspace.root

    def work():
        return _checked_answer(root, path, _text_of(body, path, root), user.folders(root))

    return _json(await server.work(user, work))


async def api_preview(request: Request) -> Response:
    """The pages of an edited text; the job ends when the browser goes away (a newer edit, a closed tab)."""
    user, body = await change(request)
    path = project(request, user, body.get("path"))
    server = server_of(request)
    root = server.workspace.root
    text = await server.work(user, _text_of, body, path, root)
    job = asyncio.ensure_future(server.previewer.pages(root, path, text, who=user.name, browser=csrf_token(request),
                                                       readable=user.folders(root)))
    gone = asyncio.ensure_future(_gone(request))
    try:
        await asyncio.wait({job, gone}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        gone.cancel()
    if not job.done():
        job.cancel()
        return Response(status_code=204)  # nobody reads it
    try:
        pages = job.result()
    except Busy as error:
        return JSONResponse({"error": str(error)}, 503)
    except Replaced as error:
        return JSONResponse({"error": str(error)}, 409)
    if isinstance(pages, str):
        return JSONResponse({"error": pages}, 422)
    return JSONResponse({"pages": ["data:image/png;base64," + base64.b64encode(p).decode() for p in pages]})


async def _gone(request: Request) -> None:
    """Returns when the client disconnects (its body is read: what comes next is the end)."""
    while (await request.receive())["type"] != "http.disconnect":
        pass


async def api_version(request: Request) -> Response:
    user = signed_in(request)
    path = project(request, user, request.query_params.get("path"))
    return JSONResponse({"version": editing.version_of(path.read_bytes())})


async def api_save(request: Request) -> Response:
    """Save an edited project: refused when the file changed since the browser read it."""
    user, body = await change(request)
    path = project(request, user, body.get("path"))
    made_from = text_field(body, "version", "版本", required=False)
    server = server_of(request)
    root = server.workspace.root
    text = await server.work(user, _text_of, body, path, root)
    async with server.locked(path):
        try:
            version = await asyncio.to_thread(editing.save, path, text, made_from)
        except editing.Conflict as conflict:
            view = await server.work(user, conflict_view, conflict.current, text)
            return JSONResponse({"error": "保存被拒绝：此项目在您打开后已被修改（他人或其他程序）。请逐项选择保留哪一方的内容，"
                                          "或载入现在的版本，或确认用您的版本覆盖。", **view}, 409)
        except OSError as error:  # written whole or not at all: the file is as it was
            raise HTTPException(507, f"保存失败，文件未改动：{os_reason(error)}") from None
    build = server.builder.request(unit_of(relative_name(root, path)))  # the page follows this build to its end
    try:  # written: whatever the check finds, the answer says so
        answer = await server.work(user, lambda: _checked_answer(root, path, text, user.folders(root),
                                                                 version=version, build=build))
    except Exception:  # noqa: BLE001
        _LOG.exception("检查已保存的 %s 时出错", relative_name(root, path))
        checked = Checked(problems=[Problem(relative_name(root, path), None, "", "已保存，但检查时出错；请刷新页面")])
        answer = _encoded({**checked.as_json(), "version": version, "text": text, "data": None, "build": build})
    return _json(answer)


# --- the overview's actions -----------------------------------------------------------------------------

async def api_new(request: Request) -> Response:
    """A new 申报表 in a unit, or a 自评表 drafted from a 申报表 (``formgen new``)."""
    user, body = await change(request)
    folder = unit(request, user, body.get("unit"))
    name = _project_name(body)
    server = server_of(request)
    root = server.workspace.root
    source = text_field(body, "from", "申报表路径", required=False)
    if source is not None:
        declaration = project(request, user, source)
        target = _new_file(request, user, declaration.parent, name)
        async with server.locked(target):
            _refuse_existing(target)
            try:
                failed = await server.work(user, new_self_evaluation, declaration, target)
            except DraftRefused:
                raise HTTPException(400, f"{source} 中应为申报表") from None
        if failed is not None:
            raise HTTPException(400, "申报表有错误，改正后才能由它生成自评表")
    else:
        target = _new_file(request, user, folder, name)
        async with server.locked(target):
            _refuse_existing(target)
            editing.save(target, _new_declaration(name, folder, root), None)
    server.builder.request(unit_of(relative_name(root, target)))
    return JSONResponse({"path": relative_name(root, target)})


def _project_name(body: dict) -> str:
    """A new project name, usable as the file name as it is; else a 400 saying why not."""
    name = text_field(body, "name", "项目名称").strip()
    problem = _name_problem(name)
    if problem:
        raise HTTPException(400, problem)
    return name


def _name_problem(name: str) -> str | None:
    if not name:
        return "项目名称不能为空"
    if _NOT_IN_FILE_NAMES.search(name) or "\n" in name:
        return "项目名称不能含 \\ / : * ? \" < > | 或换行等控制字符（名称也是文件名）"
    if any(unicodedata.category(c) in _INVISIBLE for c in name):
        return "项目名称不能含看不见的字符（如文字方向控制符），请重新输入名称"
    if name.startswith("."):
        return "项目名称不能以 . 开头（那是隐藏文件的名字）"
    if name.endswith("."):
        return "项目名称不能以 . 结尾（Windows 不允许这样的文件名）"
    if len(name) > MAX_STEM_CHARACTERS:
        return f"项目名称最多 {MAX_STEM_CHARACTERS} 字（名称也是文件名），现为 {len(name)} 字"
    if name.lower() == "formgen":
        return "formgen 是单位设置文件（formgen.yaml）的名字，请换一个名称"
    if output_file_stem(name) == f"_{name}":
        return f"{name} 是 Windows 保留的设备名，不能作文件名，请换一个名称"
    if output_file_stem(name) != name:
        return "此名称不能作文件名，请换一个名称"
    return None


def _new_file(request: Request, user: User, folder: Path, name: str) -> Path:
    target = folder / f"{name}.yaml"
    project(request, user, relative_name(server_of(request).workspace.root, target), must_exist=False)
    _refuse_existing(target)
    return target


def _refuse_existing(target: Path) -> None:
    if target.exists() or target.is_symlink():
        raise HTTPException(409, f"已有同名项目文件：{target.name}")


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
    """Rename a project: its 项目名称, its file, its place in 顺序 and the ``申报表:`` of the 自评表 drafted
    from it (the old outputs go at the next build). The 顺序 and 自评表 changed are those of the user's
    unit (and the workspace's, for a user of every unit)."""
    user, body = await change(request)
    relative = body.get("path")
    path = project(request, user, relative)
    name = _project_name(body)
    server = server_of(request)
    root = server.workspace.root
    target = path.with_name(f"{name}{path.suffix}")
    project(request, user, relative_name(root, target), must_exist=False)
    top = root if user.may_open(ROOT_UNIT) else root / unit_of(relative)
    evaluations = await server.work(user, _naming, top, root, path)
    async with server.locked(path, target, *order_files(top, path.parent), *evaluations):
        if target != path:
            _refuse_existing(target)
        await server.work(user, _rename, path, target, name, root, top)
        await server.work(user, _relinked, evaluations, path, target, root)
    units = {unit_of(relative_name(root, file)) for file in (path, *evaluations)}
    server.builder.request(units.pop() if len(units) == 1 else None)  # 自评表 relinked in other units: every unit
    return JSONResponse({"path": relative_name(root, target)})


def _rename(path: Path, target: Path, name: str, root: Path, top: Path) -> None:
    text, version = read(path, root)
    editing.save(path, editing.renamed_text(text, name), version)
    path.rename(target)
    renamed_in_order(top, path.parent, (editing.plain_data(text) or {}).get("项目名称"), name)


def _names(evaluation: Path, declaration: Path, text: str) -> bool:
    """Whether the 自评表 ``text`` of file ``evaluation`` names ``declaration`` as its 申报表."""
    written = declaration_path(text)
    return bool(written) and os.path.normpath(evaluation.parent / written) == os.path.normpath(declaration)


def _naming(top: Path, root: Path, declaration: Path) -> list[Path]:
    """The project files under ``top`` (the user's units) whose ``申报表:`` is ``declaration``."""
    found = []
    for file in project_files(top):
        if file == declaration or through_link(root, file):
            continue
        try:
            if _names(file, declaration, read_text(file)):
                found.append(file)
        except ProjectError:
            continue  # not UTF-8: its own page says so
    return found


def _relinked(evaluations: list[Path], old: Path, new: Path, root: Path) -> None:
    """The 自评表 that named the 申报表 at ``old`` name it at ``new``, as written (a path from them)."""
    for file in evaluations:
        text, version = read(file, root)
        data = editing.plain_data(text)
        if data is None or not isinstance(data.get("申报表"), str) or not _names(file, old, text):
            continue  # changed meanwhile
        data["申报表"] = PurePosixPath(data["申报表"]).with_name(new.name).as_posix()
        editing.save(file, editing.updated_text(text, data), version)


async def api_delete(request: Request) -> Response:
    """Delete a project file; the next build removes its outputs (only files formgen wrote)."""
    user, body = await change(request)
    path = project(request, user, body.get("path"))
    server = server_of(request)
    async with server.locked(path):
        path.unlink(missing_ok=True)
    server.builder.request(unit_of(body["path"]))
    return JSONResponse({"deleted": body["path"]})


async def api_build(request: Request) -> Response:
    user, _ = await change(request)
    server = server_of(request)
    server.builder.request()
    result = await server.builder.wait()
    if result is None:
        return JSONResponse({"ok": False, "text": ""})
    seen = result.seen_by(user, server.builder.units())
    return JSONResponse({"ok": seen.ok, "text": seen.text})
