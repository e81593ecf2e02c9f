"""The editor's preview: a project's text → its pages as they will print, as PNG images.

The preview is the PDF itself: the project is laid out with the build's own page
plan and PDF writer, and pdfium draws the pages. What the user sees beside the
editor is therefore what ``formgen build`` will print, page breaks included.

Laying a form out is CPU work of 0.1–0.5 s, so it runs in a small pool of worker
processes (started with ``spawn``: the server has threads, and forking a process
with threads is unsafe). The pool bounds the work: past a few waiting previews a
request is told the server is busy rather than queued without end.
"""

from __future__ import annotations

import asyncio
import io
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from ..errors import FormgenError, ProjectError
from ..files import display_path
from ..load import load_document, read_settings
from ..load.yamlread import read_documents
from .. import writers
from ..workspace.sources import template_folders
from ..workspace.tasks import layouts

SCALE = 1.25  # pdfium draws 72 points per inch at scale 1: 90 dpi, a page 744 pixels wide


class Busy(FormgenError):
    """Too many previews are waiting."""


def render_pages(root: str, file: str, text: str, index: int = 0) -> list[bytes] | str:
    """The PNG pages of project ``index`` of ``text`` (the content of ``file``), or the message
    saying why it cannot be printed. Runs in a worker process."""
    import pypdfium2

    path = Path(file)
    try:
        documents = read_documents(text, display_path(path))
        if index >= len(documents):
            return "文件中没有这个项目"
        project = load_document(documents[index], path, read_settings(path.parent, Path(root))).project
        folders = tuple(str(folder) for folder in template_folders(path.parent, Path(root)))
        sheet = writers.paginate(layouts(folders).sheet(project), ("pdf",))
        pdf = io.BytesIO()
        writers.writer("pdf").write(sheet, pdf)
    except ProjectError:
        return "项目有错误，改正后才能预览"
    except FormgenError as error:
        return str(error)
    pages = []
    document = pypdfium2.PdfDocument(pdf.getvalue())
    try:
        for page in document:
            png = io.BytesIO()
            page.render(scale=SCALE).to_pil().save(png, "PNG")
            pages.append(png.getvalue())
    finally:
        document.close()
    return pages


def _start_worker() -> None:
    writers.preload(("pdf",))


class Previewer:
    """A pool of worker processes drawing previews, at most ``waiting`` of them queued."""

    def __init__(self, workers: int | None = None, waiting: int | None = None):
        self.workers = workers or max(1, min(os.cpu_count() or 1, 4))
        self.waiting = waiting or 4 * self.workers
        self._pending = 0
        self._pool: ProcessPoolExecutor | None = None

    def start(self) -> None:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"),
                                             initializer=_start_worker)
            for _ in range(self.workers):  # load WeasyPrint in every worker now, not at the first preview
                self._pool.submit(int)

    def stop(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None

    async def pages(self, root: Path, file: Path, text: str, index: int = 0) -> list[bytes] | str:
        if self._pending >= self.waiting:
            raise Busy("服务器正忙，预览稍后刷新")
        self.start()
        self._pending += 1
        try:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(self._pool, render_pages, str(root), str(file), text, index)
        finally:
            self._pending -= 1
