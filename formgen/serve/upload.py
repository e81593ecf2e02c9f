"""A unit's old forms imported by upload: ``formgen import`` for people who never open a terminal.

The unit is named in the address (``/api/import?unit=…``) and checked, with the
session and its CSRF token, before a byte of the body is read. The body is then
read as it comes and parsed part by part (``python_multipart``, off the event
loop), each file written straight to its own file in a private temporary folder:
nothing is held in memory beyond a chunk, and every part is bounded as it arrives
(at most ``MAX_FILES`` files of ``MAX_FILE_BYTES`` each, ``MAX_UPLOAD_BYTES`` in all,
short headers, no other fields). A file keeps its own name, made safe (no folder, no
character a file system refuses), so that messages say ``课题研究.xlsx 申报表!C7``.

``commands.importing.import_files`` then writes one project file per form into the
unit's folder and never overwrites one. The answer lists, file by file, the
projects written and what could not be read, naming files as the user knows them.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from python_multipart import MultipartParser
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import parse_options_header
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ..commands.importing import import_files
from ..readers import MAX_FILE_BYTES
from ..readers.formats import IMPORT_SUFFIXES, SUPPORTED
from ..workspace.names import output_file_stem
from .checking import without_server_paths
from .paths import relative_name
from .requests import changer, server_of, unit

ACCEPTED = IMPORT_SUFFIXES
MAX_FILES = 50
MAX_UPLOAD_BYTES = 100 * 1024 * 1024  # all the files of one upload
UPLOAD_BODY_BYTES = MAX_UPLOAD_BYTES + MAX_FILES * 16 * 1024  # and each part's boundary and headers
_MAX_HEADER_BYTES = 8 * 1024  # a part's headers: its name, file name and type
_MAX_FIELDS = 4  # parts that are not files: a browser sends none; a few are let be
_MAX_FIELD_BYTES = 1024
_PARSED_AT_ONCE = 1024 * 1024  # bytes handed to a worker thread at a time
_RECEIVE_SECONDS = 15 * 60  # 100 MB over a slow office line; not a connection held open for ever

_LIMITS = f"一次最多上传 {MAX_FILES} 个文件，共 {MAX_UPLOAD_BYTES // 2**20} MB，每个不超过 {MAX_FILE_BYTES // 2**20} MB"


@dataclass
class Received:
    """One file part: its safe name, where it was written, or why it was not kept."""

    name: str
    path: Path | None = None
    size: int = 0
    refused: str | None = None


@dataclass
class _Parts:
    """python-multipart's callbacks: a file part is written as it comes into ``folder``/<n>/<name>;
    everything else is counted and bounded."""

    folder: Path
    files: list[Received] = field(default_factory=list)
    total: int = 0
    fields: int = 0
    ended: bool = False  # the closing boundary came: the body was sent whole
    _headers: dict[bytes, bytes] = field(default_factory=dict)
    _header: list[bytearray] = field(default_factory=lambda: [bytearray(), bytearray()])
    _header_bytes: int = 0
    _field_bytes: int = 0
    _current: Received | None = None
    _out: object = None  # the open file of the current part

    def callbacks(self) -> dict:
        return {"on_part_begin": self.part_begin, "on_header_field": self.header_field,
                "on_header_value": self.header_value, "on_header_end": self.header_end,
                "on_headers_finished": self.headers_finished, "on_part_data": self.part_data,
                "on_part_end": self.part_end, "on_end": self.end}

    def part_begin(self) -> None:
        self._headers, self._header_bytes, self._current, self._field_bytes = {}, 0, None, 0

    def _grow(self, which: int, data: bytes, start: int, end: int) -> None:
        self._header_bytes += end - start
        if self._header_bytes > _MAX_HEADER_BYTES:
            raise HTTPException(400, "上传的内容无效：文件名过长")
        self._header[which] += data[start:end]

    def header_field(self, data: bytes, start: int, end: int) -> None:
        self._grow(0, data, start, end)

    def header_value(self, data: bytes, start: int, end: int) -> None:
        self._grow(1, data, start, end)

    def header_end(self) -> None:
        self._headers[bytes(self._header[0]).lower()] = bytes(self._header[1])
        self._header = [bytearray(), bytearray()]

    def headers_finished(self) -> None:
        _, options = parse_options_header(self._headers.get(b"content-disposition", b""))
        if b"filename" not in options:
            self.fields += 1
            if self.fields > _MAX_FIELDS:
                raise HTTPException(400, "上传的内容无效：只应有文件")
            return
        if len(self.files) >= MAX_FILES:
            raise HTTPException(413, f"文件过多：{_LIMITS}")
        name = safe_name(options[b"filename"].decode("utf-8", "replace"), len(self.files) + 1)
        self._current = Received(name)
        self.files.append(self._current)
        if Path(name).suffix.lower() not in ACCEPTED:
            self._current.refused = f"不能导入此类文件：可导入 {SUPPORTED} 等表单文件"
            return
        self._current.path = self.folder / str(len(self.files)) / name  # a folder each: two may share a name
        self._current.path.parent.mkdir()
        self._out = open(self._current.path, "wb")

    def part_data(self, data: bytes, start: int, end: int) -> None:
        size = end - start
        current = self._current
        if current is None:  # a field: counted, not kept
            self._field_bytes += size
            if self._field_bytes > _MAX_FIELD_BYTES:
                raise HTTPException(400, "上传的内容无效：只应有文件")
            return
        self.total += size
        if self.total > MAX_UPLOAD_BYTES:
            raise HTTPException(413, f"上传的文件过大：{_LIMITS}")
        current.size += size
        if self._out is None:
            return
        if current.size > MAX_FILE_BYTES:  # this file is refused; the others may still be imported
            current.refused = f"文件过大：可导入的表单文件最多 {MAX_FILE_BYTES // 2**20} MB"
            self._discard()
            return
        self._out.write(data[start:end])

    def part_end(self) -> None:
        if self._out is not None:
            self._out.close()
            self._out = None
        if self._current is not None and self._current.refused is None and self._current.size == 0:
            self._current.refused = "文件是空的"
            self._discard()

    def end(self) -> None:
        self.ended = True

    def _discard(self) -> None:
        if self._out is not None:
            self._out.close()
            self._out = None
        if self._current is not None and self._current.path is not None:
            self._current.path.unlink(missing_ok=True)
            self._current.path = None

    def close(self) -> None:
        if self._out is not None:
            self._out.close()


def safe_name(given: str, number: int) -> str:
    """A file name as it may be written and shown: the last part of what the browser sent, without
    characters a file system refuses or that are invisible, within the length names allow."""
    name = given.replace("\\", "/").rsplit("/", 1)[-1]
    stem, dot, suffix = name.rpartition(".")
    if not dot:
        stem, suffix = name, ""
    suffix = output_file_stem(suffix)[:10] if suffix else ""
    stem = output_file_stem(stem) if stem.strip(" .") else f"文件{number}"
    return f"{stem}.{suffix}" if suffix else stem


async def _receive(request: Request, parts: _Parts) -> None:
    """The body, parsed as it comes (a megabyte at a time, in a worker thread)."""
    kind, options = parse_options_header(request.headers.get("content-type", ""))
    if kind != b"multipart/form-data" or not options.get(b"boundary"):
        raise HTTPException(400, "上传的内容无效：应为浏览器上传文件的格式（multipart/form-data）")
    parser = MultipartParser(options[b"boundary"], parts.callbacks())
    pending = bytearray()
    try:
        async with asyncio.timeout(_RECEIVE_SECONDS):
            async for chunk in request.stream():
                pending += chunk
                if len(pending) >= _PARSED_AT_ONCE:
                    await asyncio.to_thread(parser.write, bytes(pending))
                    pending.clear()
        await asyncio.to_thread(parser.write, bytes(pending))
        parser.finalize()
        if not parts.ended:
            raise MultipartParseError("no closing boundary")
    except MultipartParseError:
        raise HTTPException(400, "上传的内容无效：未传完、格式有误或文件名过长") from None
    except TimeoutError:
        raise HTTPException(408, "上传时间过长，未导入：请分几次上传") from None
    finally:
        parts.close()


async def api_import(request: Request) -> Response:
    user = changer(request)
    server = server_of(request)
    root = server.workspace.root
    folder = unit(request, user, request.query_params.get("unit"))
    async with server.locked(folder):  # one upload at a time a unit: at most 100 MB of it on disk
        temporary = Path(await asyncio.to_thread(tempfile.mkdtemp, prefix="formgen-import-"))
        try:
            parts = _Parts(temporary)
            await _receive(request, parts)
            if not parts.files:
                raise HTTPException(400, "请选择要导入的文件")
            kept = [f for f in parts.files if f.path is not None]
            imported = await server.work(user, import_files, [f.path for f in kept], folder)
        finally:
            await asyncio.to_thread(shutil.rmtree, temporary, True)
    shown = lambda text: without_server_paths(_named(text, kept, temporary), root)  # noqa: E731
    results = [{"source": f.name, "written": None, "problems": [f"{f.name}：{f.refused}"], "notes": []}
               for f in parts.files if f.refused]
    for result in imported:
        results.append({"source": shown(result.source),
                        "written": relative_name(root, result.written) if result.written else None,
                        "problems": [shown(p) for p in result.problems], "notes": [shown(n) for n in result.notes]})
    if any(r["written"] for r in results):
        server.builder.request(None if folder == root else folder.name)
    return JSONResponse({"results": results})


def _named(text: str, files: list[Received], temporary: Path) -> str:
    """A message with each temporary path said as the file's own name."""
    for file in files:
        text = text.replace(str(file.path), file.name)
    return text.replace(f"{temporary}{os.sep}", "")


ROUTES = [Route("/api/import", api_import, methods=["POST"])]
