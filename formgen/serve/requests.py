"""What every route asks of a request: the server, who is asking, the CSRF token, the JSON body,
the project file or unit it names, and the page it is answered with.

A path a request names is checked here (``paths``) against the workspace, and its unit
against the user's units (``access``): a route never touches a file it did not get from
``project`` or ``unit``. A JSON body is read whole only after its sender is known and
its CSRF token checked, and is refused, with the reason, when it is not what a
browser of ours sends: not UTF-8, nested deeper than any form, text no file can hold.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from pathlib import Path
from typing import TYPE_CHECKING

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from ..errors import FormgenError, ProjectError
from ..load import read_settings
from ..load.yamlread import read_text
from . import editing
from .access import LOCAL_USER, User
from .checking import shown_path
from .paths import PathRefused, project_path, unit_folder, unit_of
from .sessions import LIFETIME, Session

if TYPE_CHECKING:
    from .app import Server

SESSION_COOKIE = "formgen_session"
CSRF_COOKIE = "formgen_csrf"  # the CSRF token of a visitor not signed in (the login page, loopback use)
MAX_DEPTH = 16  # a form nests six deep (绩效指标 → 一级 → 二级 → 三级 → 指标值); more is not ours
_THREAD_ABOVE = 200_000  # bytes of JSON parsed off the event loop


def server_of(request: Request) -> Server:
    return request.app.state.server


def session_of(request: Request) -> Session | None:
    return server_of(request).sessions.find(request.cookies.get(SESSION_COOKIE))


def user_of(request: Request) -> User | None:
    """The signed-in user; a session whose user is gone or whose password changed has ended."""
    server = server_of(request)
    if server.accounts is None:
        return LOCAL_USER
    session = session_of(request)
    if session is None:
        return None
    user = server.accounts.users().get(session.user)
    if user is None or user.stamp != session.stamp:
        server.sessions.close(request.cookies.get(SESSION_COOKIE))
        return None
    return user


def signed_in(request: Request) -> User:
    user = user_of(request)
    if user is None:
        raise HTTPException(401, "请先登录")
    return user


def csrf_token(request: Request) -> str:
    """The token a page of this visitor carries: the session's, or a signed cookie's (made now if
    there is none: ``page`` sets the cookie)."""
    server = server_of(request)
    session = session_of(request) if server.accounts is not None else None
    if session is not None:
        return session.csrf
    token = server.sessions.signed(request.cookies.get(CSRF_COOKIE))
    if token is None:
        token = getattr(request.state, "new_csrf", None) or secrets.token_urlsafe(32)
        request.state.new_csrf = token
    return token


def csrf_matches(request: Request, given: object) -> bool:
    return isinstance(given, str) and secrets.compare_digest(given.encode(), csrf_token(request).encode())


def set_cookie(request: Request, response: Response, name: str, value: str, max_age: int | None = None) -> None:
    response.set_cookie(name, value, max_age=max_age, path="/", httponly=True, samesite="strict",
                        secure=request.url.scheme == "https")


def start_session(request: Request, response: Response, user: User) -> None:
    set_cookie(request, response, SESSION_COOKIE, server_of(request).sessions.open(user), LIFETIME)


def end_session(request: Request, response: Response) -> None:
    server_of(request).sessions.close(request.cookies.get(SESSION_COOKIE))
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict",
                           secure=request.url.scheme == "https")


def changer(request: Request) -> User:
    """The user of a request that changes something, its CSRF token checked (its body not read yet)."""
    user = signed_in(request)
    if not csrf_matches(request, request.headers.get("x-csrf-token")):
        raise HTTPException(403, "页面已过期，请刷新后重试")
    return user


async def change(request: Request) -> tuple[User, dict]:
    """The user and JSON body of a request that changes something, its CSRF token checked first."""
    user = changer(request)
    raw = await request.body()
    return user, (await asyncio.to_thread(json_object, raw) if len(raw) > _THREAD_ABOVE else json_object(raw))


def json_object(raw: bytes) -> dict:
    """A request's JSON object, or a 400 saying what is wrong with it."""
    try:
        body = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise HTTPException(400, "请求内容不是 UTF-8 编码") from None
    except RecursionError:
        raise HTTPException(400, f"请求内容嵌套过深（最多 {MAX_DEPTH} 层）") from None
    except ValueError:
        raise HTTPException(400, "请求内容不是有效的 JSON") from None
    if not isinstance(body, dict):
        raise HTTPException(400, "请求内容应为 JSON 对象")
    problem = _json_problem(body)
    if problem:
        raise HTTPException(400, problem)
    return body


def _json_problem(body: dict) -> str | None:
    """Nesting no form has, or a text no file can hold (a lone UTF-16 surrogate such as \\ud800)."""
    stack = [(body, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_DEPTH:
            return f"请求内容嵌套过深（最多 {MAX_DEPTH} 层）"
        if isinstance(value, dict):
            stack += [(key, depth) for key in value] + [(item, depth + 1) for item in value.values()]
        elif isinstance(value, list):
            stack += [(item, depth + 1) for item in value]
        elif isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError as error:
                code = ord(value[error.start])
                return f"内容含无法保存的字符 U+{code:04X}（不成对的代理码位，常由复制粘贴带入），请删除后重试"
    return None


def text_field(body: dict, key: str, label: str, required: bool = True) -> str | None:
    """A text the request carries under ``key``: a list, null or number is refused, not made a text."""
    value = body.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str):
        raise HTTPException(400, f"缺少{label}" if value is None else f"{label}应为文字，实际为 {_json_type(value)}")
    return value


def _json_type(value: object) -> str:
    return {bool: "真假值", int: "数字", float: "数字", list: "列表", dict: "对象"}.get(type(value), "空值")


def project(request: Request, user: User, relative: object, must_exist: bool = True) -> Path:
    """The project file a request names, if this user may open it."""
    if not isinstance(relative, str):
        raise HTTPException(400, "缺少项目路径" if relative is None else f"项目路径应为文字，实际为 {_json_type(relative)}")
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


def read(path: Path, root: Path) -> tuple[str, str]:
    """A project file's text and version. A file that is not UTF-8 is refused with the loader's
    message: decoding it with replacement characters would corrupt it at the next save."""
    try:
        text = read_text(path)
    except ProjectError as error:
        raise HTTPException(422, "\n".join(str(shown_path(p, root)) for p in error.problems)) from None
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
    context = {"user": user_of(request), "login": server.accounts is not None, "csrf": csrf_token(request),
               "workspace": server.workspace.root.name, **context}
    response = HTMLResponse(server.templates.get_template(name).render(context), status)
    if getattr(request.state, "new_csrf", None):
        set_cookie(request, response, CSRF_COOKIE, server.sessions.sign(request.state.new_csrf))
    return response
