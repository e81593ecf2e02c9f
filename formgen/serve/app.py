"""The web application: its routes, what every response carries, and how errors are answered.

The routes live by what they serve: ``pages`` (overview, editor, login), ``api`` (the
editor's and the overview's JSON calls), ``downloads``; what they ask of a request (who
is asking, which file it names) is ``requests``.
"""

from __future__ import annotations

import asyncio
import secrets
from contextlib import asynccontextmanager
from pathlib import Path

import jinja2
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ..errors import FormgenError
from .access import Throttle, User
from .api import api_build, api_check, api_delete, api_new, api_preview, api_rename, api_save, api_version
from .building import Builder
from .downloads import download_compilation, download_form, download_zip
from .pages import editor, login, logout, overview
from .preview import Previewer
from .requests import page
from .units import Workspace

_HERE = Path(__file__).parent
_SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; object-src 'none'; frame-ancestors 'none'; "
                               "base-uri 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


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
    middleware = [Middleware(SecurityHeaders), Middleware(SessionMiddleware, secret_key=secret or secrets.token_urlsafe(32),
                             session_cookie="formgen_session", max_age=12 * 3600, same_site="strict")]
    app = Starlette(routes=routes, middleware=middleware, lifespan=lifespan,
                    exception_handlers={HTTPException: _http_error, FormgenError: _formgen_error})
    app.state.server = server
    return app


async def _http_error(request: Request, exc: HTTPException) -> Response:
    if request.url.path.startswith("/api/"):
        return JSONResponse({"error": exc.detail}, exc.status_code)
    if exc.status_code == 401:
        return RedirectResponse("/login", 303)
    return page(request, "error.html", {"message": exc.detail}, exc.status_code)


async def _formgen_error(request: Request, exc: FormgenError) -> Response:
    return JSONResponse({"error": str(exc)}, 400)
