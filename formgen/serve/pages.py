"""The pages a person opens: the overview of the units, a project's editor, logging in and out.

Pages are rendered on the server (Jinja2, autoescaped: nothing a user typed is ever
markup); the editor's inputs are built and kept live by one small script
(``static/editor.js``) that calls the JSON routes of ``api``.
"""

from __future__ import annotations

import asyncio
import secrets

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from ..load.model import FORM_MODELS
from . import editing
from .access import password_matches, verify_unknown
from .form import form_description
from .requests import inherited, page, project, read, server_of, signed_in


async def overview(request: Request) -> Response:
    user = signed_in(request)
    server = server_of(request)
    units = await asyncio.to_thread(server.workspace.units, user.may_open)
    return page(request, "overview.html", {"units": units, "build": server.builder.last,
                                           "building": server.builder.running})


async def editor(request: Request) -> Response:
    user = signed_in(request)
    relative = request.query_params.get("path")
    path = project(request, user, relative)
    text, version = read(path)
    data = editing.plain_data(text)
    settings = await asyncio.to_thread(inherited, path.parent, server_of(request).workspace.root)
    kind = (data or {}).get("表单") or settings.get("表单")
    kind = kind if isinstance(kind, str) and kind in FORM_MODELS else None
    state = {"path": relative, "version": version, "text": text, "data": data,
             "form": form_description(kind) if kind else None,
             "inherited": {k: v for k, v in settings.items() if isinstance(v, str)}}
    return page(request, "editor.html", {"path": relative, "state": state})


async def login(request: Request) -> Response:
    server = server_of(request)
    if server.users is None:
        return RedirectResponse("/", 303)
    if request.method == "GET":
        return page(request, "login.html", {"message": None})
    form = await request.form()
    name, password = str(form.get("name", "")), str(form.get("password", ""))
    if not secrets.compare_digest(str(form.get("csrf", "")), request.session.get("csrf", "") or "\0"):
        return page(request, "login.html", {"message": "页面已过期，请重新登录"}, 403)
    keys = (f"user:{name}", f"address:{request.client.host if request.client else ''}")
    wait = server.throttle.wait(*keys)
    if wait > 0:
        return page(request, "login.html", {"message": f"登录失败次数过多，请 {int(wait) + 1} 秒后再试", "name": name}, 429)
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
    return page(request, "login.html", {"message": "用户名或密码不正确", "name": name}, 401)


async def logout(request: Request) -> Response:
    form = await request.form()
    if secrets.compare_digest(str(form.get("csrf", "")), request.session.get("csrf", "") or "\0"):
        request.session.clear()
    return RedirectResponse("/login" if server_of(request).users is not None else "/", 303)
