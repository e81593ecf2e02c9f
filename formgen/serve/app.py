"""The web application: routes, and who may call them.

Pages are rendered on the server (Jinja2, autoescaped: nothing a user typed is ever
markup); the editor's inputs are built and kept live by one small script
(``static/editor.js``) that calls the JSON routes below. Every route that changes
something is a POST carrying the session's CSRF token, and every path it names is
checked (``paths``) against the workspace and the user's units (``access``).
"""

from __future__ import annotations

import asyncio
import base64
import datetime
import io
import json
import secrets
import zipfile
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import quote

import jinja2
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ..errors import FormgenError, ProjectError
from ..load import read_settings
from ..load.model import FORM_MODELS
from ..load.yamlread import MAX_FILE_CHARACTERS, read_text
from ..workspace.names import output_file_stem
from ..yamlwrite import dump
from . import editing
from .access import LOCAL_USER, Throttle, User, password_matches, verify_unknown
from .building import Builder
from .checking import check_text
from .conflicts import conflict_view
from .form import form_description
from .paths import PathRefused, project_path, relative_name, unit_folder, unit_of
from .preview import Busy, Previewer
from .units import Workspace

_HERE = Path(__file__).parent
_SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; object-src 'none'; frame-ancestors 'none'; "
                               "base-uri 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
_MEDIA_TYPES = {"pdf": "application/pdf",
                "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


class SecurityHeaders:
    """Every response says: no scripts, styles or frames but ours; no sniffing; not cached."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                message["headers"] = list(message.get("headers", [])) + _HEADERS
            await send(message)

        await self.app(scope, receive, send_with_headers if scope["type"] == "http" else send)


_HEADERS = [(k.lower().encode(), v.encode()) for k, v in _SECURITY_HEADERS.items()]


class Server:
    """What the routes share: the workspace, its builder and previewer, the users."""

    def __init__(self, root: Path, output: Path, users: dict[str, User] | None, previewer: Previewer | None = None,
                 throttle: Throttle | None = None):
        self.workspace = Workspace(root, output)
        self.users = users
        self.builder = Builder(self.workspace.root, self.workspace.output)
        self.previewer = previewer or Previewer()
        self.throttle = throttle or Throttle()
        self.saving = asyncio.Lock()  # one save at a time: the version check and the write are one step
        self.templates = jinja2.Environment(loader=jinja2.FileSystemLoader(_HERE / "templates"), autoescape=True)
        self.templates.policies["json.dumps_kwargs"] = {"sort_keys": False}  # the order of a form is its content


def create_app(root: Path, output: Path, users: dict[str, User] | None = None, secret: str | None = None,
               previewer: Previewer | None = None, throttle: Throttle | None = None) -> Starlette:
    server = Server(root, output, users, previewer, throttle)

    @asynccontextmanager
    async def lifespan(app):
        server.previewer.start()
        yield
        await server.builder.wait()
        server.previewer.stop()

    routes = [
        Route("/", overview), Route("/edit", editor),
        Route("/login", login, methods=["GET", "POST"]), Route("/logout", logout, methods=["POST"]),
        Route("/api/check", api_check, methods=["POST"]), Route("/api/preview", api_preview, methods=["POST"]),
        Route("/api/save", api_save, methods=["POST"]), Route("/api/version", api_version),
        Route("/api/new", api_new, methods=["POST"]), Route("/api/rename", api_rename, methods=["POST"]),
        Route("/api/delete", api_delete, methods=["POST"]), Route("/api/build", api_build, methods=["POST"]),
        Route("/download/form", download_form), Route("/download/compilation", download_compilation),
        Route("/download/zip", download_zip),
        Mount("/static", StaticFiles(directory=_HERE / "static"), name="static"),
    ]
    from . import progress, settings, upload  # their routes use the helpers below
    routes += progress.ROUTES + settings.ROUTES + upload.ROUTES
    middleware = [Middleware(SecurityHeaders), Middleware(SessionMiddleware, secret_key=secret or secrets.token_urlsafe(32),
                             session_cookie="formgen_session", max_age=12 * 3600, same_site="strict")]
    app = Starlette(routes=routes, middleware=middleware, lifespan=lifespan,
                    exception_handlers={HTTPException: _http_error, FormgenError: _formgen_error})
    app.state.server = server
    return app


# --- who is asking -------------------------------------------------------------------------------------

def _server(request: Request) -> Server:
    return request.app.state.server


def _csrf(request: Request) -> str:
    return request.session.setdefault("csrf", secrets.token_urlsafe(32))


def _user(request: Request) -> User | None:
    users = _server(request).users
    if users is None:
        return LOCAL_USER
    return users.get(request.session.get("user", ""))


def _signed_in(request: Request) -> User:
    user = _user(request)
    if user is None:
        raise HTTPException(401, "请先登录")
    return user


def _changer(request: Request) -> User:
    """The user of a request that changes something, its CSRF token checked."""
    user = _signed_in(request)
    token = request.headers.get("x-csrf-token", "")
    if not secrets.compare_digest(token, request.session.get("csrf", "") or "\0"):
        raise HTTPException(403, "页面已过期，请刷新后重试")
    return user


async def _change(request: Request) -> tuple[User, dict]:
    """The user and JSON body of a request that changes something, its CSRF token checked."""
    user = _changer(request)
    try:
        body = json.loads(await request.body())
    except ValueError:
        raise HTTPException(400, "请求内容无效") from None
    if not isinstance(body, dict):
        raise HTTPException(400, "请求内容无效")
    return user, body


def _project(request: Request, user: User, relative: object, must_exist: bool = True) -> Path:
    """The project file a request names, if this user may open it."""
    if not isinstance(relative, str):
        raise HTTPException(400, "缺少项目路径")
    root = _server(request).workspace.root
    try:
        path = project_path(root, relative)
    except PathRefused as error:
        raise HTTPException(404, str(error)) from None
    if not user.may_open(unit_of(relative)):
        raise HTTPException(404, f"没有这个项目：{relative}")  # not 403: do not confirm what exists
    if must_exist and not path.is_file():
        raise HTTPException(404, f"没有这个项目：{relative}")
    return path


def _unit(request: Request, user: User, unit: object) -> Path:
    if not isinstance(unit, str) or not user.may_open(unit):
        raise HTTPException(404, "没有这个单位")
    try:
        return unit_folder(_server(request).workspace.root, unit)
    except PathRefused as error:
        raise HTTPException(404, str(error)) from None


async def _http_error(request: Request, exc: HTTPException) -> Response:
    if request.url.path.startswith("/api/"):
        return JSONResponse({"error": exc.detail}, exc.status_code)
    if exc.status_code == 401:
        return RedirectResponse("/login", 303)
    return _page(request, "error.html", {"message": exc.detail}, exc.status_code)


async def _formgen_error(request: Request, exc: FormgenError) -> Response:
    return JSONResponse({"error": str(exc)}, 400)


def _page(request: Request, name: str, context: dict, status: int = 200) -> HTMLResponse:
    server = _server(request)
    context = {"user": _user(request), "login": server.users is not None, "csrf": _csrf(request),
               "workspace": server.workspace.root.name, **context}
    return HTMLResponse(server.templates.get_template(name).render(context), status)


# --- pages ---------------------------------------------------------------------------------------------

async def overview(request: Request) -> Response:
    from .upload import ACCEPTED

    user = _signed_in(request)
    server = _server(request)
    units = await asyncio.to_thread(server.workspace.units, user.may_open)
    return _page(request, "overview.html", {"units": units, "build": server.builder.last,
                                            "building": server.builder.running, "accepted": ",".join(ACCEPTED)})


async def editor(request: Request) -> Response:
    user = _signed_in(request)
    relative = request.query_params.get("path")
    path = _project(request, user, relative)
    text, version = _read(path)
    data = editing.plain_data(text)
    settings = await asyncio.to_thread(_inherited, path.parent, _server(request).workspace.root)
    kind = (data or {}).get("表单") or settings.get("表单")
    kind = kind if isinstance(kind, str) and kind in FORM_MODELS else None
    state = {"path": relative, "version": version, "text": text, "data": data,
             "form": form_description(kind) if kind else None,
             "inherited": {k: v for k, v in settings.items() if isinstance(v, str)}}
    return _page(request, "editor.html", {"path": relative, "state": state})


def _inherited(folder: Path, root: Path) -> dict:
    """What the formgen.yaml chain above ``folder`` gives its projects ({} when it cannot be read:
    the editor and the overview show its error)."""
    try:
        return read_settings(folder, root).defaults
    except FormgenError:
        return {}


def _read(path: Path) -> tuple[str, str]:
    """A project file's text and version. A file that is not UTF-8 is refused with the loader's
    message: decoding it with replacement characters would corrupt it at the next save."""
    try:
        text = read_text(path)
    except ProjectError as error:
        raise HTTPException(422, str(error)) from None
    return text, editing.version_of(path.read_bytes())


async def login(request: Request) -> Response:
    server = _server(request)
    if server.users is None:
        return RedirectResponse("/", 303)
    if request.method == "GET":
        return _page(request, "login.html", {"message": None})
    form = await request.form()
    name, password = str(form.get("name", "")), str(form.get("password", ""))
    if not secrets.compare_digest(str(form.get("csrf", "")), request.session.get("csrf", "") or "\0"):
        return _page(request, "login.html", {"message": "页面已过期，请重新登录"}, 403)
    keys = (f"user:{name}", f"address:{request.client.host if request.client else ''}")
    wait = server.throttle.wait(*keys)
    if wait > 0:
        return _page(request, "login.html", {"message": f"登录失败次数过多，请 {int(wait) + 1} 秒后再试", "name": name}, 429)
    user = server.users.get(name)
    if user is not None and await asyncio.to_thread(password_matches, user, password):
        server.throttle.succeeded(*keys)
        request.session.clear()  # a new session at login: a planted session id is worth nothing
        request.session.update({"user": name, "csrf": secrets.token_urlsafe(32)})
        return RedirectResponse("/", 303)
    if user is None:
        await asyncio.to_thread(verify_unknown, password)
    server.throttle.failed(*keys)
    await asyncio.sleep(server.throttle.delay)
    return _page(request, "login.html", {"message": "用户名或密码不正确", "name": name}, 401)


async def logout(request: Request) -> Response:
    form = await request.form()
    if secrets.compare_digest(str(form.get("csrf", "")), request.session.get("csrf", "") or "\0"):
        request.session.clear()
    return RedirectResponse("/login" if _server(request).users is not None else "/", 303)


# --- the editor's JSON routes ---------------------------------------------------------------------------

def _text_of(body: dict, path: Path) -> str:
    """The project text a request carries: its YAML text, or its form data merged into the file."""
    if isinstance(body.get("text"), str):
        text = body["text"]
    elif isinstance(body.get("data"), dict):
        current, _ = _read(path)
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
    user, body = await _change(request)
    path = _project(request, user, body.get("path"))
    return path, _text_of(body, path)


async def api_check(request: Request) -> Response:
    """The messages and figures of an edited, unsaved text; the text and data of its other tab."""
    path, text = await _edited(request)
    checked = await asyncio.to_thread(check_text, _server(request).workspace.root, path, text)
    return JSONResponse({**checked.as_json(), "text": text, "data": editing.plain_data(text)})


async def api_preview(request: Request) -> Response:
    path, text = await _edited(request)
    server = _server(request)
    try:
        pages = await server.previewer.pages(server.workspace.root, path, text)
    except Busy as error:
        return JSONResponse({"error": str(error)}, 503)
    if isinstance(pages, str):
        return JSONResponse({"error": pages}, 422)
    return JSONResponse({"pages": ["data:image/png;base64," + base64.b64encode(p).decode() for p in pages]})


async def api_version(request: Request) -> Response:
    user = _signed_in(request)
    path = _project(request, user, request.query_params.get("path"))
    return JSONResponse({"version": editing.version_of(path.read_bytes())})


async def api_save(request: Request) -> Response:
    """Save an edited project: refused when the file changed since the browser read it."""
    user, body = await _change(request)
    path = _project(request, user, body.get("path"))
    server = _server(request)
    async with server.saving:
        text = _text_of(body, path)
        try:
            version = editing.save(path, text, body.get("version"))
        except editing.Conflict as conflict:
            return JSONResponse({"error": "保存被拒绝：此项目在您打开后已被修改（他人或其他程序）。请逐项选择保留哪一方的内容，"
                                          "或载入现在的版本，或确认用您的版本覆盖。",
                                 **conflict_view(conflict.current, text)}, 409)
    checked = await asyncio.to_thread(check_text, server.workspace.root, path, text)
    build = server.builder.request()
    return JSONResponse({**checked.as_json(), "version": version, "text": text, "data": editing.plain_data(text),
                         "build": build})


# --- the overview's actions -----------------------------------------------------------------------------

async def api_new(request: Request) -> Response:
    """A new 申报表 in a unit, or a 自评表 drafted from a 申报表 (``formgen new``)."""
    user, body = await _change(request)
    folder = _unit(request, user, body.get("unit"))
    name = _project_name(body)
    root = _server(request).workspace.root
    source = body.get("from")
    if source is not None:
        from ..commands.new import new_self_evaluation

        declaration = _project(request, user, source)
        target = _new_file(request, user, declaration.parent, name)
        if await asyncio.to_thread(new_self_evaluation, declaration, target) is not None:
            raise HTTPException(400, "申报表有错误，改正后才能由它生成自评表")
    else:
        target = _new_file(request, user, folder, name)
        editing.save(target, _new_declaration(name, folder, root), None)
    _server(request).builder.request()
    return JSONResponse({"path": relative_name(root, target)})


def _project_name(body: dict) -> str:
    """A new project name, usable as the file name as it is."""
    name = str(body.get("name", "")).strip()
    if not name or output_file_stem(name) != name:
        raise HTTPException(400, "项目名称不能为空，也不能含 \\ / : * ? \" < > | 等字符")
    return name


def _new_file(request: Request, user: User, folder: Path, name: str) -> Path:
    target = folder / f"{name}.yaml"
    _project(request, user, relative_name(_server(request).workspace.root, target), must_exist=False)
    if target.exists():
        raise HTTPException(409, f"已有同名项目文件：{target.name}")
    return target


def _new_declaration(name: str, folder: Path, root: Path) -> str:
    """A 申报表 to fill in: what the unit's formgen.yaml does not already say, and one indicator."""
    data = {"表单": "申报表", "项目名称": name}
    if "年度" not in _inherited(folder, root):
        data["年度"] = datetime.date.today().year
    data["项目资金"] = {"项目资金总额": 0, "财政资金": 0, "其他资金": 0}
    data["年度总体目标"] = "待填写"
    data["绩效指标"] = {"产出指标": {"数量指标": {"待填写的指标": "待填写"}}}
    return dump(data, header=["由 formgen serve 新建；请填写标有「待填写」的字段。"])


async def api_rename(request: Request) -> Response:
    """Rename a project: its 项目名称, its file and its place in 顺序 (the old outputs go at the next build)."""
    from .settings import renamed_in_order

    user, body = await _change(request)
    path = _project(request, user, body.get("path"))
    name = _project_name(body)
    server = _server(request)
    target = path.with_name(f"{name}{path.suffix}")
    _project(request, user, relative_name(server.workspace.root, target), must_exist=False)
    async with server.saving:
        if target != path and target.exists():
            raise HTTPException(409, f"已有同名项目文件：{target.name}")
        text, version = _read(path)
        editing.save(path, editing.renamed_text(text, name), version)
        path.rename(target)
        renamed_in_order(server.workspace.root, path.parent, (editing.plain_data(text) or {}).get("项目名称"), name)
    server.builder.request()
    return JSONResponse({"path": relative_name(server.workspace.root, target)})


async def api_delete(request: Request) -> Response:
    """Delete a project file; the next build removes its outputs (only files formgen wrote)."""
    user, body = await _change(request)
    path = _project(request, user, body.get("path"))
    server = _server(request)
    async with server.saving:
        path.unlink()
    server.builder.request()
    return JSONResponse({"deleted": body["path"]})


async def api_build(request: Request) -> Response:
    await _change(request)
    server = _server(request)
    server.builder.request()
    result = await server.builder.wait()
    return JSONResponse({"ok": result.ok if result else False, "text": result.text if result else ""})


# --- downloads ------------------------------------------------------------------------------------------

def _format(request: Request) -> str:
    fmt = request.query_params.get("format", "")
    if fmt not in _MEDIA_TYPES:
        raise HTTPException(404, "没有这种格式")
    return fmt


def _file(path: Path | None, fmt: str) -> Response:
    if path is None or not path.is_file():
        raise HTTPException(404, "尚未生成：请先生成（改正错误后会自动生成）")
    return FileResponse(path, media_type=_MEDIA_TYPES.get(fmt, "application/zip"), filename=path.name)


async def download_form(request: Request) -> Response:
    user = _signed_in(request)
    relative = request.query_params.get("path")
    _project(request, user, relative)
    fmt = _format(request)
    from .progress import current_entry

    entry = await current_entry(request, relative, stale=request.query_params.get("stale") == "1")
    return _file(entry.outputs.get(fmt) if entry else None, fmt)


async def download_compilation(request: Request) -> Response:
    user = _signed_in(request)
    name = request.query_params.get("unit")
    _unit(request, user, name)
    fmt = _format(request)
    await _server(request).builder.wait()  # never the 汇总表 of before a save
    unit = await asyncio.to_thread(_server(request).workspace.unit, name)
    return _file(unit.compilation_outputs.get(fmt), fmt)


async def download_zip(request: Request) -> Response:
    """Every output of a unit (forms and 汇总表, all formats) in one zip; of the workspace root: of
    every unit (the root is a unit only a user of every unit may open)."""
    user = _signed_in(request)
    name = request.query_params.get("unit")
    folder = _unit(request, user, name)
    server = _server(request)
    outputs = server.workspace.output / folder.relative_to(server.workspace.root)
    if not outputs.is_dir():
        raise HTTPException(404, "尚未生成：请先生成")
    await server.builder.wait()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for file in sorted(outputs.rglob("*")):
            relative = file.relative_to(outputs)
            if file.is_file() and not file.is_symlink() and not any(p.startswith(".") for p in relative.parts):
                archive.write(file, relative.as_posix())
    return Response(buffer.getvalue(), media_type="application/zip",
                    headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote((name or folder.name) + '.zip')}"})
