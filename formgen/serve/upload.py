"""A unit's old forms imported by upload: ``formgen import`` for people who never open a terminal.

The files a person picks are kept in a private temporary folder under their own
names (so that messages say ``课题研究.xlsx 申报表!C7``, not a temporary path) and
given to ``commands.importing.import_files``, which writes one project file per
form into the unit's folder and never overwrites one. The answer lists, file by
file, the projects written and what could not be read.
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

from starlette.exceptions import HTTPException
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ..commands.importing import import_files
from ..readers import MAX_FILE_BYTES
from .app import _changer, _server, _unit
from .paths import relative_name

ACCEPTED = (".xlsx", ".docx", ".xls", ".doc", ".wps", ".et", ".pdf")  # what the readers take
MAX_FILES = 50
MAX_UPLOAD_BYTES = 100 * 1024 * 1024  # all the files of one upload
_CHUNK = 1024 * 1024


async def api_import(request: Request) -> Response:
    user = _changer(request)
    server = _server(request)
    declared = request.headers.get("content-length", "")
    if not declared.isdigit() or int(declared) > MAX_UPLOAD_BYTES:
        raise HTTPException(413, f"一次最多上传 {MAX_FILES} 个文件，共 {MAX_UPLOAD_BYTES // 1024 // 1024} MB，"
                                 f"每个不超过 {MAX_FILE_BYTES // 1024 // 1024} MB")
    try:
        form = await request.form(max_files=MAX_FILES, max_fields=5)
    except HTTPException:
        raise HTTPException(400, f"上传的内容无效（一次最多 {MAX_FILES} 个文件）") from None
    try:
        folder = _unit(request, user, form.get("unit"))
        uploads = [f for f in form.getlist("files") if isinstance(f, UploadFile)]
        if not uploads:
            raise HTTPException(400, "请选择要导入的文件")
        with tempfile.TemporaryDirectory(prefix="formgen-import-") as temporary:
            files, results = await _received(uploads, Path(temporary))
            async with server.saving:
                imported = await asyncio.to_thread(import_files, [path for path, _ in files], folder)
            shown = {str(path): name for path, name in files}
            for result in imported:
                results.append({
                    "source": _shown(result.source, shown, temporary),
                    "written": relative_name(server.workspace.root, result.written) if result.written else None,
                    "problems": [_shown(p, shown, temporary) for p in result.problems],
                    "notes": [_shown(n, shown, temporary) for n in result.notes]})
    finally:
        await form.close()  # the uploads spooled to disk
    if any(r["written"] for r in results):
        server.builder.request()
    return JSONResponse({"results": results})


async def _received(uploads: list[UploadFile], folder: Path) -> tuple[list[tuple[Path, str]], list[dict]]:
    """The uploads written into ``folder`` under their own names, and a result for each refused one."""
    files, refused = [], []
    for number, upload in enumerate(uploads, 1):
        name = Path((upload.filename or "").replace("\\", "/")).name or f"文件{number}"
        suffix = Path(name).suffix.lower()
        if suffix not in ACCEPTED:
            refused.append(_refusal(name, f"不能导入此类文件：可导入 {'、'.join(s[1:].upper() for s in ACCEPTED)}"))
            continue
        target = folder / str(number) / name  # a folder each: two uploads may share a name
        target.parent.mkdir()
        size = 0
        with open(target, "wb") as out:
            while chunk := await upload.read(_CHUNK):
                size += len(chunk)
                if size > MAX_FILE_BYTES:
                    break
                out.write(chunk)
        if size > MAX_FILE_BYTES:
            refused.append(_refusal(name, f"文件过大：可导入的表单文件最多 {MAX_FILE_BYTES // 1024 // 1024} MB"))
            continue
        files.append((target, name))
    return files, refused


def _refusal(name: str, problem: str) -> dict:
    return {"source": name, "written": None, "problems": [f"{name}：{problem}"], "notes": []}


def _shown(text: str, names: dict[str, str], temporary: str) -> str:
    """A message with each temporary path said as the file's own name."""
    for path, name in names.items():
        text = text.replace(path, name)
    return text.replace(temporary + "/", "")


ROUTES = [Route("/api/import", api_import, methods=["POST"])]
