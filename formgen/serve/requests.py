"""What every route asks of a request: the server, who is asking, the CSRF token, the JSON body,
the project file or unit it names, and the page it is answered with.

A path a request names is checked here (``paths``) against the workspace, and its unit
against the user's units (``access``): a route never touches a file it did not get from
``project`` or ``unit``.
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import TYPE_CHECKING

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse

from ..errors import FormgenError, ProjectError
from ..load import read_settings
from ..load.yamlread import read_text
from . import editing
from .access import LOCAL_USER, User
from .paths import PathRefused, project_path, unit_folder, unit_of

if TYPE_CHECKING:
    from .app import Server


def server_of(request: Request) -> Server:
    return request.app.state.server


def csrf_token(request: Request) -> str:
    return request.session.setdefault("csrf", secrets.token_urlsafe(32))


def user_of(request: Request) -> User | None:
    users = server_of(request).users
    if users is None:
        return LOCAL_USER
    return users.get(request.session.get("user", ""))


def signed_in(request: Request) -> User:
    user = user_of(request)
    if user is None:
        raise HTTPException(401, "请先登录")
    return user


async def change(request: Request) -> tuple[User, dict]:
    """The user and JSON body of a request that changes something, its CSRF token checked."""
    user = signed_in(request)
    token = request.headers.get("x-csrf-token", "")
    if not secrets.compare_digest(token, request.session.get("csrf", "") or "\0"):
        raise HTTPException(403, "页面已过期，请刷新后重试")
    try:
        body = json.loads(await request.body())
    except ValueError:
        raise HTTPException(400, "请求内容无效") from None
    if not isinstance(body, dict):
        raise HTTPException(400, "请求内容无效")
    return user, body


def project(request: Request, user: User, relative: object, must_exist: bool = True) -> Path:
    """The project file a request names, if this user may open it."""
    if not isinstance(relative, str):
        raise HTTPException(400, "缺少项目路径")
    root = server_of(request).workspace.root
    try:
        path = project_path(root, relative)
    except PathRefused as error:
        raise HTTPException(404, str(error)) from None
    if not user.may_open(unit_of(relative)):
        raise HTTPException(404, f"没有这个项目：{relative}")  # not 403: do not confirm what exists
    if must_exist and not path.is_file():
        raise HTTPException(404, f"没有这个项目：{relative}")
    return path


def unit(request: Request, user: User, name: object) -> Path:
    if not isinstance(name, str) or not user.may_open(name):
        raise HTTPException(404, "没有这个单位")
    try:
        return unit_folder(server_of(request).workspace.root, name)
    except PathRefused as error:
        raise HTTPException(404, str(error)) from None


def read(path: Path) -> tuple[str, str]:
    """A project file's text and version. A file that is not UTF-8 is refused with the loader's
    message: decoding it with replacement characters would corrupt it at the next save."""
    try:
        text = read_text(path)
    except ProjectError as error:
        raise HTTPException(422, str(error)) from None
    return text, editing.version_of(path.read_bytes())


def inherited(folder: Path, root: Path) -> dict:
    """What the formgen.yaml chain above ``folder`` gives its projects ({} when it cannot be read:
    the editor and the overview show its error)."""
    try:
        return read_settings(folder, root).defaults
    except FormgenError:
        return {}


def page(request: Request, name: str, context: dict, status: int = 200) -> HTMLResponse:
    server = server_of(request)
    context = {"user": user_of(request), "login": server.users is not None, "csrf": csrf_token(request),
               "workspace": server.workspace.root.name, **context}
    return HTMLResponse(server.templates.get_template(name).render(context), status)
