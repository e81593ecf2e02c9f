"""``formgen serve``: the workspace in a browser, for people who never open a terminal.

The project files stay the source of truth: the server reads them at every request
and writes them back keeping the user's comments and style (``editing``); builds
are the CLI's own ``formgen build`` (``building``). Modules: ``app`` (routes),
``access`` (users, logins), ``paths`` (what a request may name), ``units`` (the
overview), ``checking`` (messages and computed figures), ``form`` (the editor's
fields from the model), ``preview`` (pages as PNG images), ``progress`` (builds
said to the page, downloads of the saved version), ``conflicts`` (a refused save
field by field), ``settings`` (a unit's formgen.yaml), ``upload`` (import of old
forms).
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


def run(workspace: Path, output: Path, host: str, port: int, users_file: Path | None, say) -> None:
    """Serve ``workspace`` until Ctrl-C; refuses a non-loopback address without a users file."""
    import uvicorn

    from .access import read_users
    from .app import create_app

    if users_file is None and not is_loopback(host):
        raise FormgenError(f"在 {host} 上监听会让其他电脑也能打开，必须用 --users 给出用户文件"
                           "（用 formgen user add 用户.yaml 用户名 创建）")
    users = read_users(users_file) if users_file is not None else None
    app = create_app(workspace, output, users)
    shown = f"[{host}]" if ":" in host else host
    say(f"formgen serve：请在浏览器中打开 http://{shown}:{port}/ （按 Ctrl-C 停止）")
    if users is None:
        say("只有本机能打开，无需登录。")
    else:
        say(f"需要登录：{len(users)} 个用户。")
    uvicorn.run(app, host=host, port=port, log_level="warning")
