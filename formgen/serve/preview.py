"""The editor's preview: a project's text → its pages as they will print, as PNG images.

The preview is the PDF itself: the project is laid out with the build's own page
plan and PDF writer, and pdfium draws the pages. What the user sees beside the
editor is therefore what ``formgen build`` will print, page breaks included.

Laying a form out is CPU work of 0.1–0.5 s (minutes for the largest project the
loader accepts), so it runs in a few worker processes (started with ``spawn``: the
server has threads, and forking a process with threads is unsafe), shared fairly:

* a job that runs past ``limit`` seconds is stopped (its worker process is ended and
  a fresh one started), and so is a job whose browser has gone away; a worker's memory
  is bounded too (``MEMORY_BYTES``);
* one user runs at most ``workers - 1`` jobs at once (one when there is a single
  worker), and a free worker takes the waiting job of the user running fewest, then of
  the user who used the workers least lately (less the time the job has waited): one
  user's large projects cannot keep the others waiting, and still get their turn;
* a browser's newer preview of a file replaces the one still waiting for it, and past
  a few waiting jobs a request is told the server is busy rather than queued.
"""

from __future__ import annotations

import asyncio
import io
import logging
import multiprocessing
import os
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import FormgenError, ProjectError
from ..files import display_path
from ..load import load_document, read_settings
from ..load.pairing import declarations_only_in
from ..load.yamlread import read_documents
from .. import writers
from ..workspace.sources import template_folders
from ..workspace.tasks import layouts
from .checking import without_server_paths

_LOG = logging.getLogger("formgen.serve")
SCALE = 1.25  # pdfium draws 72 points per inch at scale 1: 90 dpi, a page 744 pixels wide


class Busy(FormgenError):
    """Too many previews are waiting."""


class Replaced(FormgenError):
    """A newer preview of the same file from the same browser took this one's place."""


def render_pages(root: str, file: str, text: str, index: int = 0,
                 readable: tuple[str, ...] | None = None) -> list[bytes] | str:
    """The PNG pages of project ``index`` of ``text`` (the content of ``file``), or the message
    saying why it cannot be printed. A 申报表 it names is read only inside ``readable``."""
    import pypdfium2

    path = Path(file)
    try:
        documents = read_documents(text, display_path(path))
        if index >= len(documents):
            return "文件中没有这个项目"
        with declarations_only_in(None if readable is None else tuple(Path(f) for f in readable)):
            project = load_document(documents[index], path, read_settings(path.parent, Path(root))).project
        folders = tuple(str(folder) for folder in template_folders(path.parent, Path(root)))
        sheet = writers.paginate(layouts(folders).sheet(project), ("pdf",))
        pdf = io.BytesIO()
        writers.writer("pdf").write(sheet, pdf)
    except ProjectError:
        return "项目有错误，改正后才能预览"
    except FormgenError as error:  # a template's error names its file with the server's path
        return without_server_paths(str(error), Path(root))
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


MEMORY_BYTES = 3 * 2**30  # a worker's address space: 0.5 GB after a minute of the largest project
_READY = "ready"  # what a worker says once WeasyPrint is loaded


def _work(connection) -> None:
    """A worker process: say when WeasyPrint is loaded, then draw each job sent, send back its pages
    or its message. Its memory is bounded, so that no project can take the machine's."""
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))
    except (ImportError, ValueError, OSError):  # not on this system: the time limit still bounds it
        pass
    writers.preload(("pdf",))
    connection.send(_READY)
    while True:
        try:
            job = connection.recv()
        except (EOFError, OSError):
            return
        try:
            answer = render_pages(*job)
        except MemoryError:
            answer = "预览所需内存过多：项目太大，请下载生成的 PDF 查看"
        except Exception as error:  # noqa: BLE001 - a preview's failure is said, the worker goes on
            answer = f"预览失败：{type(error).__name__}"
        connection.send(answer)


class _Worker:
    """One worker process and the pipe to it."""

    def __init__(self, context):
        self.connection, child = context.Pipe()
        self.process = context.Process(target=_work, args=(child,), daemon=True, name="formgen-preview")
        self.process.start()
        child.close()

    def run(self, job: tuple):
        """Send a job and wait for its answer (in a thread: it blocks); EOFError when the worker ended."""
        self.connection.send(job)
        return self.connection.recv()

    def end(self) -> None:
        if self.process.is_alive():
            self.process.kill()

    def close(self) -> None:
        self.end()
        self.process.join(5)
        self.connection.close()


@dataclass(eq=False)
class _Job:
    who: str
    key: tuple  # (who, browser, file): a newer job of the same key replaces this one while it waits
    args: tuple
    answer: asyncio.Future
    queued: float  # time.monotonic()
    worker: _Worker | None = field(default=None, repr=False)


class Previewer:
    """Worker processes drawing previews; ``limit`` seconds at most a job."""

    def __init__(self, workers: int | None = None, limit: float = 30.0, waiting_per_user: int = 2,
                 waiting: int | None = None):
        self.workers = workers or max(1, min(os.cpu_count() or 1, 4))
        self.limit = limit
        self.waiting_per_user = waiting_per_user
        self.waiting = waiting or 16 * self.workers
        self._context = multiprocessing.get_context("spawn")
        self._idle: list[_Worker] = []
        self._busy: set[_Worker] = set()
        self._queue: list[_Job] = []
        self._running: Counter[str] = Counter()
        self._used: dict[str, tuple[float, float]] = {}  # who → (worker seconds used, when): halved each minute
        self._threads: ThreadPoolExecutor | None = None

    def start(self) -> None:
        """Start the workers now, not at the first preview: each takes jobs once WeasyPrint is loaded."""
        if self._threads is None:
            self._threads = ThreadPoolExecutor(self.workers, thread_name_prefix="formgen-preview")
            for _ in range(self.workers):
                self._start_worker()

    def _start_worker(self) -> None:
        worker = _Worker(self._context)
        self._busy.add(worker)  # until it says it is ready: its start is not a job's time
        asyncio.get_running_loop().create_task(self._ready(worker))

    async def _ready(self, worker: _Worker) -> None:
        try:
            ready = await asyncio.get_running_loop().run_in_executor(self._threads, worker.connection.recv) == _READY
        except (EOFError, OSError, RuntimeError):  # it ended at once, or the previewer is stopping
            ready = False
        self._busy.discard(worker)
        if ready and self._threads is not None:
            self._idle.append(worker)
            self._dispatch()
            return
        worker.close()
        if self._threads is not None and not self._idle and not self._busy:  # none could start: say so, not wait
            _LOG.error("预览进程无法启动（退出码 %s）", worker.process.exitcode)
            for job in self._queue:
                if not job.answer.done():
                    job.answer.set_result("预览进程无法启动，请告诉管理员（详见服务器的输出）")
            self._queue = []

    def stop(self) -> None:
        for worker in [*self._idle, *self._busy]:
            worker.close()
        self._idle, self._busy = [], set()
        for job in self._queue:
            if not job.answer.done():
                job.answer.cancel()
        self._queue = []
        if self._threads is not None:
            self._threads.shutdown(wait=False, cancel_futures=True)
            self._threads = None

    async def pages(self, root: Path, file: Path, text: str, index: int = 0, who: str = "", browser: str = "",
                    readable: tuple[Path, ...] | None = None) -> list[bytes] | str:
        """The pages of ``text``, or the message why not; Busy when too many wait, Replaced when a newer
        preview of ``file`` from the same ``browser`` took this one's place. ``who`` is the user whose
        share the job counts in. Cancelling this ends the job."""
        self.start()
        for _ in range(self.workers - len(self._idle) - len(self._busy)):  # those that could not start: try again
            self._start_worker()
        key = (who, browser, str(file))
        for old in [job for job in self._queue if job.key == key]:
            self._queue.remove(old)
            if not old.answer.done():
                old.answer.set_exception(Replaced("已有更新的预览"))
        if sum(job.who == who for job in self._queue) >= self.waiting_per_user or len(self._queue) >= self.waiting:
            raise Busy("服务器正忙，预览稍后刷新")
        args = (str(root), str(file), text, index, None if readable is None else tuple(str(f) for f in readable))
        job = _Job(who, key, args, asyncio.get_running_loop().create_future(), time.monotonic())
        self._queue.append(job)
        self._dispatch()
        try:
            return await job.answer
        except asyncio.CancelledError:
            if job in self._queue:
                self._queue.remove(job)
            elif job.worker is not None:
                job.worker.end()  # its run() sees the pipe close; _execute starts a fresh worker
            raise

    def _dispatch(self) -> None:
        while self._idle and self._queue:
            job = self._next()
            if job is None:
                return
            self._queue.remove(job)
            job.worker = self._idle.pop()
            self._busy.add(job.worker)
            self._running[job.who] += 1
            asyncio.get_running_loop().create_task(self._execute(job))

    def _next(self) -> _Job | None:
        """The waiting job, within each user's share, of the user running fewest jobs, then of the user who
        used the workers least lately, less the time the job has waited."""
        share = max(1, self.workers - 1)
        now = time.monotonic()
        ready = [job for job in self._queue if self._running[job.who] < share and not job.answer.done()]
        return min(ready, key=lambda job: (self._running[job.who], self._usage(job.who, now) - (now - job.queued)),
                   default=None)

    def _usage(self, who: str, now: float) -> float:
        seconds, when = self._used.get(who, (0.0, now))
        return seconds * 0.5 ** ((now - when) / 60)

    def _charge(self, who: str, seconds: float) -> None:
        now = time.monotonic()
        if len(self._used) > 1000:  # the users of the last few minutes are enough
            self._used = {w: (u, t) for w, (u, t) in self._used.items() if self._usage(w, now) > 0.1}
        self._used[who] = (self._usage(who, now) + seconds, now)

    async def _execute(self, job: _Job) -> None:
        worker = job.worker
        started = time.monotonic()
        running = asyncio.get_running_loop().run_in_executor(self._threads, worker.run, job.args)
        done, _ = await asyncio.wait({running}, timeout=self.limit)
        if not done:
            worker.end()
            await asyncio.wait({running})  # the worker's end closes the pipe: run() returns at once
        self._charge(job.who, time.monotonic() - started)
        failed = running.exception() is not None  # EOFError: the worker ended (cancelled, or crashed)
        if not done:
            answer = f"预览超过 {self.limit:.0f} 秒仍未完成，已停止：项目很大时请生成后下载 PDF 查看"
        else:
            answer = "预览进程意外结束，请重试" if failed else running.result()
        self._busy.discard(worker)
        self._running[job.who] -= 1
        if done and not failed:
            self._idle.append(worker)
        else:
            worker.close()
            if self._threads is not None:  # not stopping: a fresh worker takes its place
                self._start_worker()
        if not job.answer.done():
            job.answer.set_result(answer)
        self._dispatch()
