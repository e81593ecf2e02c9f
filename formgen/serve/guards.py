"""What every request passes before any route sees it, and what every answer carries.

* ``AllowedHosts``: the ``Host`` a browser sends must be a name this server answers to:
  the loopback names, the address the connection came in on, and the names given with
  ``--host`` and ``--allow-host``. A web page that makes its own name point at this
  server (DNS rebinding) sends its own name, and is refused.
* ``BoundedBodies``: a request body is counted as it arrives, and refused past the bound
  of its route (a login form is a few hundred bytes, a project a few MB, an upload of
  old forms 100 MB, written to disk as it comes), before anything parses it: a request
  cannot make the server hold more than that.
* ``SecurityHeaders``: no scripts, styles or frames but ours; no sniffing; not cached.

They are plain ASGI middleware: they see the bytes as they come, not a parsed request.
"""

from __future__ import annotations

import ipaddress
import json

from starlette.exceptions import HTTPException

from ..load.yamlread import MAX_FILE_CHARACTERS
from .upload import UPLOAD_BODY_BYTES

SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; object-src 'none'; frame-ancestors 'none'; "
                               "base-uri 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
_HEADERS = [(k.lower().encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})

# A project text of the most characters, each sent as a six-byte JSON escape, and the rest of the request.
API_BODY_BYTES = 6 * MAX_FILE_CHARACTERS + 1_000_000
FORM_BODY_BYTES = 16 * 1024  # the login form: a name, a password, a token
OTHER_BODY_BYTES = 64 * 1024


def body_bound(path: str) -> int:
    if path == "/api/import":
        return UPLOAD_BODY_BYTES
    if path.startswith("/api/"):
        return API_BODY_BYTES
    if path in ("/login", "/logout"):
        return FORM_BODY_BYTES
    return OTHER_BODY_BYTES


def plain_answer(scope, status: int, message: str):
    """A short answer in Chinese, JSON for the editor's calls, a line of text for a browser."""
    if scope.get("path", "").startswith("/api/"):
        body, kind = json.dumps({"error": message}, ensure_ascii=False).encode(), b"application/json"
    else:
        body, kind = message.encode(), b"text/plain; charset=utf-8"

    async def answer(receive, send):
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", kind), (b"content-length", str(len(body)).encode()),
                                (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})

    return answer


def host_name(host: str) -> str:
    """The name of a ``Host`` header without its port, lower case: ``[::1]:8000`` → ``::1``."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1:host.find("]")] if "]" in host else ""
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


class AllowedHosts:
    def __init__(self, app, names: frozenset[str] = frozenset()):
        self.app = app
        self.names = LOOPBACK_NAMES | {host_name(n) for n in names}

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and not self.allowed(scope):
            return await plain_answer(scope, 400, "此地址不被本服务接受：请用管理员告知的地址打开"
                                                  "（服务器可用 --allow-host 添加名称）")(receive, send)
        await self.app(scope, receive, send)

    def allowed(self, scope) -> bool:
        hosts = [value.decode("latin-1") for key, value in scope.get("headers", []) if key == b"host"]
        if len(hosts) != 1:
            return False
        name = host_name(hosts[0])
        if name in self.names:
            return True
        server = scope.get("server")
        try:  # the address the connection came in on, as a browser would write it
            return server is not None and ipaddress.ip_address(name) == ipaddress.ip_address(server[0])
        except ValueError:
            return False


class BodyTooLarge(HTTPException):
    def __init__(self, bound: int):
        super().__init__(413, f"请求内容过大：最多 {bound / 1_000_000:.1f} MB" if bound >= 1_000_000
                         else f"请求内容过大：最多 {bound // 1024} KB")


class BoundedBodies:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        bound = body_bound(scope.get("path", ""))
        length = dict(scope.get("headers", [])).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > bound):
            return await plain_answer(scope, 413, BodyTooLarge(bound).detail)(receive, send)
        received = 0

        async def bounded_receive():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > bound:
                    raise BodyTooLarge(bound)  # raised where the route reads the body: answered 413
            return message

        await self.app(scope, bounded_receive, send)


class SecurityHeaders:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                message["headers"] = list(message.get("headers", [])) + _HEADERS
            await send(message)

        await self.app(scope, receive, send_with_headers if scope["type"] == "http" else send)
