"""The pages a person opens: the overview of the units, a project's editor, logging in and out.

Pages are rendered on the server (Jinja2, autoescaped: nothing a user typed is ever
markup); the editor's inputs are built and kept live by one small script
(``static/editor.js``) that calls the JSON routes of ``api``.

A login waits its turn (one at a time for a name, a few for an address), is let through
the throttle (``access.Throttle``) before its password is checked, counted as failed
until it succeeds; at most two passwords are checked at once (Argon2 costs 64 MB and
tens of milliseconds each).
"""

from __future__ import annotations

import asyncio

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from ..load.model import FORM_MODELS
from . import editing
from .access import password_matches, verify_unknown
from .form import form_description
from .requests import csrf_matches, end_session, inherited, page, project, read, server_of, signed_in, start_session
from .upload import ACCEPTED


async def overview(request: Request) -> Response:
    user = signed_in(request)
    server = server_of(request)
    units = await asyncio.to_thread(server.workspace.units, user)
    build = server.builder.last
    if build is not None:
        build = build.seen_by(user, await asyncio.to_thread(server.builder.units))
    return page(request, "overview.html", {"units": units, "build": build, "building": server.builder.running,
                                           "accepted": ",".join(ACCEPTED)})


async def editor(request: Request) -> Response:
    user = signed_in(request)
    relative = request.query_params.get("path")
    path = project(request, user, relative)
    server = server_of(request)

    def work():  # a project may be megabytes: read, parsed and written into the page off the event loop
        text, version = read(path, server.workspace.root)
        data = editing.plain_data(text)
        settings = inherited(path.parent, server.workspace.root)
        kind = (data or {}).get("表单") or settings.get("表单")
        kind = kind if isinstance(kind, str) and kind in FORM_MODELS else None
        state = {"path": relative, "version": version, "text": text, "data": data,
                 "form": form_description(kind) if kind else None,
                 "inherited": {k: v for k, v in settings.items() if isinstance(v, str)}}
        return page(request, "editor.html", {"path": relative, "state": state})

    return await server.work(user, work)


async def login(request: Request) -> Response:
    server = server_of(request)
    if server.accounts is None:
        return RedirectResponse("/", 303)
    if request.method == "GET":
        return page(request, "login.html", {"message": None})
    form = await request.form(max_files=0, max_fields=8)
    name, password = form.get("name"), form.get("password")
    if isinstance(name, UploadFile) or isinstance(password, UploadFile) or not name or not password:
        return page(request, "login.html", {"message": "请填写用户名和密码"}, 400)
    if not csrf_matches(request, form.get("csrf")):
        return page(request, "login.html", {"message": "页面已过期，请重新登录", "name": name}, 403)
    address = request.client.host if request.client else ""
    async with server.throttle.turn(name, address):
        wait = server.throttle.attempt(name, address)  # counted as failed from here, until it succeeds
        if wait > 0:
            return page(request, "login.html", {"message": f"登录失败次数过多，请 {int(wait) + 1} 秒后再试",
                                                "name": name}, 429)
        user = server.accounts.users().get(name)
        async with server.password_checks:
            if user is None:
                await asyncio.to_thread(verify_unknown, password)
            matches = user is not None and await asyncio.to_thread(password_matches, user, password)
        if matches:
            server.throttle.succeeded(name, address)
    if matches:
        response = RedirectResponse("/", 303)
        start_session(request, response, user)  # a new session id at login: a planted one is worth nothing
        return response
    await asyncio.sleep(server.throttle.delay)
    return page(request, "login.html", {"message": "用户名或密码不正确", "name": name}, 401)


async def logout(request: Request) -> Response:
    """Ends the session, whatever the page's token: a person who asked to leave is never left signed in."""
    response = RedirectResponse("/login" if server_of(request).accounts is not None else "/", 303)
    end_session(request, response)
    return response
