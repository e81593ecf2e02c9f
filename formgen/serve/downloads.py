"""Downloads: a form's output in one format, a unit's 汇总表, a unit's outputs as a zip.

Only files formgen wrote in the output folder are sent: never through a link, whether
the link is a file or a folder on the way.
"""

from __future__ import annotations

import asyncio
import io
import zipfile
from pathlib import Path
from urllib.parse import quote

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, Response

from .paths import through_link
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
    user = signed_in(request)
    relative = request.query_params.get("path")
    project(request, user, relative)
    fmt = _format(request)
    entry = await asyncio.to_thread(server_of(request).workspace.project, user, relative)
    return _file(request, entry.outputs.get(fmt) if entry else None, fmt)


async def download_compilation(request: Request) -> Response:
    user = signed_in(request)
    name = request.query_params.get("unit")
    unit(request, user, name)
    fmt = _format(request)
    found = await asyncio.to_thread(server_of(request).workspace.unit, user, name)
    return _file(request, found.compilation_outputs.get(fmt) if found else None, fmt)


async def download_zip(request: Request) -> Response:
    """Every output of a unit (forms and 汇总表, all formats) in one zip."""
    user = signed_in(request)
    name = request.query_params.get("unit")
    folder = unit(request, user, name)
    server = server_of(request)
    outputs = server.workspace.output / folder.relative_to(server.workspace.root)
    if not name or not outputs.is_dir() or through_link(server.workspace.output, outputs):
        raise HTTPException(404, "尚未生成：请先生成")
    content = await asyncio.to_thread(_zipped, outputs)
    return Response(content, media_type="application/zip",
                    headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name + '.zip')}"})


def _zipped(outputs: Path) -> bytes:
    """The files below ``outputs`` in a zip; hidden files (the build record, the cache) and links are left out
    (``rglob`` does not enter linked folders)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for file in sorted(outputs.rglob("*")):
            relative = file.relative_to(outputs)
            if file.is_file() and not file.is_symlink() and not any(p.startswith(".") for p in relative.parts):
                archive.write(file, relative.as_posix())
    return buffer.getvalue()
