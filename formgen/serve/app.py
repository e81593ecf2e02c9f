"""The web application: its routes, what every request passes first, and how errors are answered.

The routes live by what they serve: ``pages`` (overview, editor, login), ``api`` (the
editor's and the overview's JSON calls), ``downloads``, ``progress`` (the builds said
to the page), ``settings`` (a unit's formgen.yaml), ``upload`` (import of old forms);
what they ask of a request (who is asking, which file it names) is ``requests``. Before any of them a request passes
``guards`` (its Host, the size of its body), and every answer, a failure's too, carries
the security headers and says what went wrong in Chinese.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from contextlib import AsyncExitStack, asynccontextmanager
from http import HTTPStatus
from pathlib import Path

import jinja2
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ..errors import FormgenError
from .access import Accounts, Throttle, User
from . import progress, settings, upload
from .api import api_build, api_check, api_delete, api_new, api_preview, api_rename, api_save, api_version
from .building import Builder
from .downloads import download_compilation, download_form, download_zip
from .guards import AllowedHosts, BoundedBodies, SecurityHeaders
from .pages import editor, login, logout, overview
from .preview import Previewer
from .requests import page
from .sessions import Sessions, sessions_file
from .units import Workspace

_HERE = Path(__file__).parent
_WORK_PER_USER = 2  # a user's jobs on project texts running at once; more wait their turn


class Server:
    """What the routes share: the workspace, its builder and previewer, the users and their sessions."""

    def __init__(self, root: Path, output: Path, users: Path | dict[str, User] | None,
                 previewer: Previewer | None = None, throttle: Throttle | None = None):
        self.workspace = Workspace(root, output)
        self.accounts = Accounts(users) if users is not None else None
        self.sessions = Sessions(sessions_file(users) if isinstance(users, Path) else None)
        self.builder = Builder(self.workspace.root, self.workspace.output)
        self.previewer = previewer or Previewer()
        self.throttle = throttle or Throttle()
        self.password_checks = asyncio.Semaphore(2)
        self.templates = jinja2.Environment(loader=jinja2.FileSystemLoader(_HERE / "templates"), autoescape=True)
        self.templates.policies["json.dumps_kwargs"] = {"sort_keys": False}  # the order of a form is its content
        self._lanes: defaultdict[str, asyncio.Semaphore] = defaultdict(lambda: asyncio.Semaphore(_WORK_PER_USER))
        self._file_locks: defaultdict[Path, asyncio.Lock] = defaultdict(asyncio.Lock)

    async def work(self, user: User, function, *args):
        """``function(*args)`` in a worker thread, in ``user``'s lane: their large project waits for their
        own jobs, never holds up anyone else's beyond its share of the processor."""
        async with self._lanes[user.name]:
            return await asyncio.to_thread(function, *args)

    @asynccontextmanager
    async def locked(self, *paths: Path):
        """One change at a time to each of ``paths``: a save's version check and its write are one step."""
        async with AsyncExitStack() as stack:
            for path in sorted(set(paths)):  # always in the same order: two renames cannot wait on each other
                await stack.enter_async_context(self._file_locks[path])
            yield


def create_app(root: Path, output: Path, users: Path | dict[str, User] | None = None, *, hosts: tuple[str, ...] = (),
               previewer: Previewer | None = None, throttle: Throttle | None = None) -> Starlette:
    """The application serving ``root``. ``users``: a users file (read again when it changes; sessions
    kept beside it), or fixed users (sessions in memory), or None (loopback: no login). ``hosts``:
    the names besides the loopback ones a browser may reach it by."""
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
        *progress.ROUTES, *settings.ROUTES, *upload.ROUTES,
        Mount("/static", StaticFiles(directory=_HERE / "static"), name="static"),
    ]
    app = _Application(routes=routes, lifespan=lifespan, exception_handlers={
        HTTPException: _http_error, FormgenError: _formgen_error, Exception: _server_error})
    app.state.server = server
    app.state.hosts = frozenset(hosts)
    return app


class _Application(Starlette):
    """Starlette with the guards outside everything, its error answers included (which Starlette's own
    middleware list cannot reach: it sits inside the handler of unexpected errors)."""

    def build_middleware_stack(self):
        return SecurityHeaders(AllowedHosts(BoundedBodies(super().build_middleware_stack()), self.state.hosts))


_STATUS_MESSAGES = {400: "请求无效", 401: "请先登录", 403: "没有权限", 404: "没有这个页面", 405: "不支持这种请求方式",
                    413: "请求内容过大", 429: "请求过多，请稍后再试"}


async def _http_error(request: Request, exc: HTTPException) -> Response:
    message = exc.detail
    if message == HTTPStatus(exc.status_code).phrase:  # Starlette's own English words
        message = _STATUS_MESSAGES.get(exc.status_code, "请求无法完成")
    if request.url.path.startswith("/api/"):
        return JSONResponse({"error": message}, exc.status_code)
    if exc.status_code == 401:
        return RedirectResponse("/login", 303)
    return page(request, "error.html", {"message": message}, exc.status_code)


async def _formgen_error(request: Request, exc: FormgenError) -> Response:
    return JSONResponse({"error": str(exc)}, 400)


async def _server_error(request: Request, exc: Exception) -> Response:
    """An error we did not foresee: said plainly (the details go to the server's log, not to the browser)."""
    message = "服务器出错，请求未完成；请稍后重试，如一再出现请告诉管理员"
    if request.url.path.startswith("/api/"):
        return JSONResponse({"error": message}, 500)
    return HTMLResponse(f"<!doctype html><meta charset=utf-8><title>出错</title><p>{message}</p>", 500)
