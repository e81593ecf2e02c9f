"""What the builds are doing, said to the page; and downloads that are never older than the file.

A save asks for a build and learns its number (``Builder.request``). The editor
asks ``/api/progress`` until the build of that number has ended, showing how far it
got, then says how it ended for the project in front of it: ``已生成 3 个文件，10:42``,
or why there is no new form. A download waits for the builds asked for; one
whose outputs are older than the project file (edited outside the browser) asks
for a build first, and one that cannot be current (the project has errors) is
refused with the reason, unless the page asks for the previous forms by name
(``stale=1``).

What a user is told of a build is what ``BuildResult.seen_by`` leaves them: the forms
of their own units counted, the lines about them, never another unit's.
"""

from __future__ import annotations

import asyncio

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from .access import User
from .building import Builder, BuildResult
from .paths import unit_of
from .requests import project, server_of, signed_in
from .units import ProjectEntry


def build_state(builder: Builder, user: User) -> dict:
    """The builds as numbers the page compares with its save's, how far the running one got in the
    user's units, and how the last one ended for them. The numbers are those of the requests about
    the user's units: a user does not see when another unit's project is saved or built."""
    mine = builder.asked_about(user.units)
    running = builder.running and builder.finished < mine
    state = {"running": running, "requested": mine, "finished": min(builder.finished, mine),
             "done": builder.done_for(user) if running else 0}
    last = _last_seen_by(builder, user)
    if last is not None:
        state["last"] = {"ok": last.ok, "ended": last.ended.strftime("%H:%M"), "text": last.text}
    return state


def _last_seen_by(builder: Builder, user: User) -> BuildResult | None:
    return builder.last.seen_by(user, builder.units()) if builder.last is not None else None


def project_state(entry: ProjectEntry | None, builder: Builder, user: User) -> dict:
    """How the project's forms stand once no build it waits for runs: ``current`` (its files can be
    downloaded as saved), else ``message`` says why not and ``stale`` whether older forms exist."""
    if entry is None:
        return {"current": False, "stale": False, "message": "此文件中没有可生成的项目"}
    files = [{"format": fmt, "name": path.name} for fmt, path in entry.outputs.items()]
    if entry.up_to_date:
        built = entry.built
        return {"current": True, "files": files,
                "message": f"已生成 {len(files)} 个文件" + (f"，{built:%H:%M}" if built else "")}
    last = _last_seen_by(builder, user)
    if builder.running:
        message = "正在生成……"
    elif not entry.checked.ok:
        message = "保存的版本有错误，改正并保存后才生成新表单"
    elif last is not None and not last.ok:
        message = "生成失败：" + _failure(last.text, entry)
    else:
        message = "尚未生成"
    return {"current": False, "stale": bool(files), "files": files, "message": message}


def _failure(text: str, entry: ProjectEntry) -> str:
    """The lines of a failed build that concern this project, else its last line."""
    lines = [line for line in text.splitlines() if entry.path in line or (entry.checked.name or "\0") in line]
    return "；".join(lines[-3:]) or (text.strip().splitlines() or ["原因不明"])[-1]


async def current_entry(request: Request, user: User, relative: str, stale: bool) -> ProjectEntry | None:
    """The project's outputs as saved: after the builds asked for, and after one more when they lag
    behind a project that checks. Refused (409) when they cannot be current, unless ``stale``."""
    server = server_of(request)
    await server.builder.wait(unit_of(relative))
    entry = await asyncio.to_thread(server.workspace.project, user, relative)
    if entry is not None and not entry.up_to_date and entry.checked.ok and not stale:
        server.builder.request(unit_of(relative))  # edited outside the browser since the last build
        await server.builder.wait(unit_of(relative))
        entry = await asyncio.to_thread(server.workspace.project, user, relative)
    if entry is not None and entry.outputs and not entry.up_to_date and not stale:
        raise HTTPException(409, f"「{entry.checked.name or entry.file.name}」的表单不是最新内容："
                                 f"{project_state(entry, server.builder, user)['message']}。")
    return entry


async def api_progress(request: Request) -> JSONResponse:
    """The builds' progress; with ``path``, how that project's forms stand."""
    user = signed_in(request)
    server = server_of(request)
    answer = build_state(server.builder, user)
    relative = request.query_params.get("path")
    if relative is not None:
        project(request, user, relative)
        entry = await asyncio.to_thread(server.workspace.project, user, relative)
        answer["project"] = project_state(entry, server.builder, user)
    return JSONResponse(answer)


ROUTES = [Route("/api/progress", api_progress)]
