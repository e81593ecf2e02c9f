"""``formgen serve``: the workspace in a browser, for people who never open a terminal.

The project files stay the source of truth: the server reads them at every request
and writes them back keeping the user's comments and style (``editing``); builds
are the CLI's own ``formgen build`` (``building``). Modules: ``app`` (the application,
its error answers), ``pages``, ``api`` and ``downloads`` (the routes, by what they
serve), ``progress`` (builds said to the page, downloads of the saved version),
``settings`` (a unit's formgen.yaml), ``upload`` (import of old forms), ``conflicts``
(a refused save field by field), ``requests`` (what the routes ask of a request),
``guards`` (what every request passes first: its Host, the size of its body), ``connections``
(no connection held open without a request),
``access`` (users, logins), ``sessions`` (who is signed in), ``paths`` (what a
request may name), ``units`` (the overview), ``checking`` (messages and computed
figures), ``form`` (the editor's fields from the model), ``preview`` (pages as PNG
images, in worker processes shared fairly).
"""

from __future__ import annotations

import ipaddress
import socket
from pathlib import Path

from ..errors import FormgenError


def is_loopback(host: str) -> bool:
    """Whether only this machine can reach ``host``; a name is looked up."""
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, None)}
    except OSError:
        return False
    return bool(addresses) and all(ipaddress.ip_address(a.split("%")[0]).is_loopback for a in addresses)


def run(workspace: Path, output: Path, host: str, port: int, users_file: Path | None, say,
        allowed_hosts: tuple[str, ...] = (), proxies: tuple[str, ...] = (), preview_seconds: float = 30) -> None:
    """Serve ``workspace`` until Ctrl-C; refuses a non-loopback address, or a proxy, without a users file.
    ``allowed_hosts``: the names browsers reach it by; ``proxies``: the reverse proxies whose
    ``X-Forwarded-For`` and ``X-Forwarded-Proto`` are believed (no one else's are)."""
    import uvicorn

    from .app import create_app
    from .connections import allow_all_open_files, guarded_protocol
    from .preview import Previewer

    if users_file is None and not is_loopback(host):
        raise FormgenError(f"在 {host} 上监听会让其他电脑也能打开，必须用 --users 给出用户文件"
                           "（用 formgen user add 用户.yaml 用户名 创建）")
    if users_file is None and proxies:
        raise FormgenError("经反向代理时其他电脑也能打开，必须用 --users 给出用户文件"
                           "（用 formgen user add 用户.yaml 用户名 创建）")
    for address in proxies:
        try:
            ipaddress.ip_network(address, strict=False)
        except ValueError:
            raise FormgenError(f"--proxy 应为反向代理的 IP 地址（如 127.0.0.1），实际为 {address!r}") from None
    app = create_app(workspace, output, users_file, hosts=(host, *allowed_hosts), previewer=Previewer(limit=preview_seconds))
    shown = "服务器的IP地址" if host in ("0.0.0.0", "::") else f"[{host}]" if ":" in host else host
    say(f"formgen serve：请在浏览器中打开 http://{shown}:{port}/ （按 Ctrl-C 停止）")
    if users_file is None:
        say("只有本机能打开，无需登录。")
    else:
        say(f"需要登录：{len(app.state.server.accounts.users())} 个用户。")
    names = sorted({*allowed_hosts, host} - {"0.0.0.0", "::"})
    say(f"浏览器地址中可用：本机地址、服务器的 IP 地址{('、' + '、'.join(names)) if names else ''}"
        "（其他名称须用 --allow-host 列出）。")
    allow_all_open_files()
    uvicorn.run(app, host=host, port=port, log_level="warning", server_header=False, http=guarded_protocol(proxies),
                proxy_headers=bool(proxies), forwarded_allow_ips=list(proxies) or None)
