"""Downloads: a form's output in one format, a unit's 汇总表, a unit's outputs as a zip.

A download is never older than the saved file: it waits for the builds asked for
before it about its unit (``progress``). The older forms or 汇总表 kept while a project has
errors are sent only when asked for by name (``stale=1``: the pages mark those links 旧版).

Only files formgen wrote in the output folder are sent: never through a link, whether
the link is a file or a folder on the way.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import zipfile
from pathlib import Path

from starlette.background import BackgroundTask
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, Response

from .paths import through_link
from .progress import current_entry
from .requests import project, server_of, signed_in, unit

_MEDIA_TYPES = {"pdf": "application/pdf",
                "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def _format(request: Request) -> str:
    fmt = request.query_params.get("format", "")
    if fmt not in _MEDIA_TYPES:
        raise HTTPException(404, "没有这种格式")
    return fmt


def _file(request: Request, path: Path | None, fmt: str) -> Response:
    if path is None or not path.is_file() or through_link(server_of(request).workspace.output, path):
        raise HTTPException(404, "尚未生成：请先生成（改正错误后会自动生成）")
    return FileResponse(path, media_type=_MEDIA_TYPES.get(fmt, "application/zip"), filename=path.name)


async def download_form(request: Request) -> Response:
    """A form as last saved: after the build of the save (``progress.current_entry``)."""
    user = signed_in(request)
    relative = request.query_params.get("path")
    project(request, user, relative)
    fmt = _format(request)
    entry = await current_entry(request, user, relative, stale=request.query_params.get("stale") == "1")
    return _file(request, entry.outputs.get(fmt) if entry else None, fmt)


async def download_compilation(request: Request) -> Response:
    user = signed_in(request)
    name = request.query_params.get("unit")
    unit(request, user, name)
    fmt = _format(request)
    server = server_of(request)
    await server.builder.wait(name)  # never the 汇总表 of before a save
    found = await asyncio.to_thread(server.workspace.unit, user, name)
    stale = request.query_params.get("stale") == "1"
    if found is not None and found.compilation_stale and not stale and all(p.checked.ok for p in found.projects):
        server.builder.request(name)  # edited outside the browser since the last build
        await server.builder.wait(name)
        found = await asyncio.to_thread(server.workspace.unit, user, name)
    if found is not None and found.compilation_stale and not stale:
        # an older 汇总表 (a form of it failed, or was edited outside since): said, as a single form's is
        raise HTTPException(409, f"汇总表「{found.compilation}」不是最新内容：{found.compilation_stale}。")
    return _file(request, found.compilation_outputs.get(fmt) if found else None, fmt)


async def download_zip(request: Request) -> Response:
    """Every output of a unit (forms and 汇总表, all formats) in one zip; of the workspace root, every
    unit's (the root is a unit only a user of every unit may open). Written to a temporary file, not
    held in memory, and named after the unit's folder (the workspace's, for the root)."""
    user = signed_in(request)
    name = request.query_params.get("unit")
    folder = unit(request, user, name)
    server = server_of(request)
    output = server.workspace.output
    outputs = output / folder.relative_to(server.workspace.root)
    if not outputs.is_dir() or (outputs != output and through_link(output, outputs)):
        raise HTTPException(404, "尚未生成：请先生成")
    await server.builder.wait(name)
    zipped = await asyncio.to_thread(_zipped, outputs)
    return FileResponse(zipped, media_type="application/zip", filename=f"{folder.name}.zip",
                        background=BackgroundTask(zipped.unlink, missing_ok=True))


def _zipped(outputs: Path) -> Path:
    """The files below ``outputs`` in a zip in a temporary file; hidden files (the build record, the
    cache) and links are left out (``rglob`` does not enter linked folders)."""
    handle, name = tempfile.mkstemp(prefix="formgen-zip-", suffix=".zip")
    try:
        with os.fdopen(handle, "wb") as file, zipfile.ZipFile(file, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(outputs.rglob("*")):
                relative = path.relative_to(outputs)
                if path.is_file() and not path.is_symlink() and not any(p.startswith(".") for p in relative.parts):
                    archive.write(path, relative.as_posix())
    except BaseException:
        os.unlink(name)
        raise
    return Path(name)
