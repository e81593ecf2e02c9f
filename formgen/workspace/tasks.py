"""The work a build hands to its worker processes: render a form, write a 汇总表.

Each task takes plain, picklable arguments and returns an outcome, ``Written``
or ``Failed``, never raises: one bad form must not stop the pool. Writers are
found by format name in the registry and every file is written atomically.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import signal
import threading
import time
from collections import deque
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path

from ..errors import FormgenError, ProjectError
from ..files import os_error_text, write_atomically
from ..layout import Compilation, Layouts, Member, Sheet
from ..layout.sheet import MARGIN_MM, PAGE_SIZES_MM
from ..load import Settings, load_file
from .. import writers
from ..writers import measure


@dataclass(frozen=True)
class Written:
    """A task that wrote its files."""

    files: list[str]


@dataclass(frozen=True)
class Failed:
    """A task that could not write, and the message the user reads."""

    message: str


@dataclass(frozen=True)
class FormTask:
    """Render one project in some formats, to ``<stem>.<format>``."""

    project: object  # the validated model
    templates: tuple[str, ...]  # the templates folders that apply, nearest first
    stem: str
    formats: tuple[str, ...]


@dataclass(frozen=True)
class MemberSource:
    """Where a 汇总表 finds one of its forms; the worker that writes the 汇总表 lays it out."""

    file: Path
    index: int
    settings: Settings
    templates: tuple[str, ...]
    kind: str
    name: str
    pdf: str


@dataclass(frozen=True)
class CompilationTask:
    """Write one 汇总表 in some formats, to ``<stem>.<format>``."""

    title: str
    members: list[MemberSource]
    stem: str
    formats: tuple[str, ...]
    cache: str  # where printed title pages are kept


_LAYOUTS: dict[tuple[str, ...], Layouts] = {}  # one Layouts per chain of templates folders, per process


def layouts(templates: tuple[str, ...]) -> Layouts:
    if templates not in _LAYOUTS:
        _LAYOUTS[templates] = Layouts(tuple(Path(folder) for folder in templates))
    return _LAYOUTS[templates]


# The longest real form prints 6 pages. A project within the loader's bounds (500 三级, 32,767
# characters a text, 2 M a file) can still fill thousands (500 values of 2,900 characters in the
# narrow 指标值 column: about 4,400), which WeasyPrint lays out in minutes a format: the pages a form
# would print are estimated before any writer runs, and a form over this many is refused.
MAX_PAGES = 100


def lay_out(project, templates: tuple[str, ...]) -> Sheet:
    """A project's Sheet through its templates (a ``TemplateError`` when they fail), refused when it
    would print more than ``MAX_PAGES`` pages, estimated without a font (``measure``: a few ms, 0.3 s
    for a form at the bounds)."""
    sheet = layouts(templates).sheet(project)
    pages = estimated_pages(sheet)
    if pages > MAX_PAGES:
        longest = max(sheet.cells, key=lambda cell: len(cell.text))
        raise FormgenError(f"表单过长：估计约 {pages:,} 页，一张表最多 {MAX_PAGES} 页。最长的一格有 "
                            f"{len(longest.text):,} 字，以“{longest.text[:12]}”开头；请精简较长的文本，或拆分项目")
    return sheet


def estimated_pages(sheet: Sheet) -> int:
    """The pages a form prints, from the font-free row heights of ``measure`` (which err on the
    tall side for wide cells and the short side for narrow ones: 192 for 251 printed, 4,378 for
    about 4,400)."""
    page = (PAGE_SIZES_MM[sheet.orientation][1] - 2 * MARGIN_MM) * measure.PT_PER_MM
    return math.ceil(sum(measure.row_heights_pt(sheet)) / page)


def render_form(task: FormTask) -> Written | Failed:
    """Lay one project out and write it in every format asked for."""
    try:
        sheet = writers.paginate(lay_out(task.project, task.templates), task.formats)
        files = []
        for fmt in task.formats:
            target = Path(f"{task.stem}.{fmt}")
            write_atomically(target, lambda path, fmt=fmt: writers.writer(fmt).write(sheet, path))
            files.append(str(target))
        return Written(files)
    except Exception as error:  # noqa: BLE001 - one form's failure, whatever it is, is that form's
        return Failed(failure_text(error, "无法写入输出文件"))


def failure_text(error: Exception, writing: str) -> str:
    """What a task that raised says: a formgen error as it is, the operating system's refusal in
    Chinese after ``writing``, anything else as formgen's own fault."""
    if isinstance(error, FormgenError):
        return str(error)
    if isinstance(error, OSError):
        return f"{writing}：{os_error_text(error)}"
    if isinstance(error, MemoryError):
        return "内存不足，未能生成：请精简过长的文本后再试"
    return f"formgen 内部错误（{type(error).__name__}: {error}），未能生成：请把此项目文件发给维护者"


def write_compilation(task: CompilationTask) -> Written | Failed:
    """Write one 汇总表. Its DOCX and XLSX lay the forms out here, in the worker; its PDF is made
    of the forms' own PDFs (and is not made when they were not)."""
    name = Path(task.stem).name
    from_printed = set(task.formats) <= writers.COMPILED_FROM_PRINTED_FORMS  # made of the forms' PDFs
    try:
        missing = [m.name for m in task.members if from_printed and not Path(m.pdf).is_file()]
        if missing:  # never a 汇总表 silently lacking a form
            return Failed(f"汇总表 {name}.pdf 未生成：缺少 {'、'.join(missing)} 的 PDF")
        members = [_member(source, not from_printed) for source in task.members]
        stylesheet = layouts(task.members[0].templates).stylesheet()
        compilation = Compilation(task.title, members, stylesheet, Path(task.cache))
        for fmt in task.formats:
            write_atomically(Path(f"{task.stem}.{fmt}"),
                             lambda path, fmt=fmt: writers.writer(fmt).write_compilation(compilation, path))
        return Written([f"{task.stem}.{fmt}" for fmt in task.formats])
    except Exception as error:  # noqa: BLE001 - as in render_form
        suffix = ".pdf" if from_printed else ""
        return Failed(f"汇总表 {name}{suffix} 生成失败：{failure_text(error, '无法写入')}")


def _member(source: MemberSource, with_sheet: bool) -> Member:
    """A form of the 汇总表: read and laid out again when its grid is needed (a form left
    unchanged by this build was not read by it)."""
    if not with_sheet:
        return Member(source.name, source.kind, None, None, Path(source.pdf))
    loaded = load_file(source.file, source.settings)[source.index]
    if isinstance(loaded, ProjectError):  # edited since the build began
        raise loaded
    sheet = writers.paginate(lay_out(loaded.project, source.templates), ())
    return Member(source.name, source.kind, loaded.project.headline_amount, sheet, Path(source.pdf))


class Workers:
    """Run tasks in a pool of processes, or in this process when one worker is enough.

    The workers leave Ctrl-C to the build (no traceback from each of them), are stopped at once
    when it is interrupted, and end by themselves when the build is killed (``kill -9``): none
    is left running, holding the output folder's lock, with no build to report to."""

    def __init__(self, jobs: int | None, most_tasks: int, formats=writers.FORMATS):
        self.count = min(jobs or os.cpu_count() or 1, most_tasks)
        if self.count > 1:
            writers.preload(formats)  # once, before the workers fork: not once in every worker
        self.pool = self._new_pool() if self.count > 1 else None

    def _new_pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(self.count, initializer=_start_worker, initargs=(os.getpid(),))

    def __enter__(self) -> "Workers":
        return self

    def __exit__(self, kind, *exc) -> None:
        if self.pool is None:
            return
        if kind is not None and issubclass(kind, KeyboardInterrupt):  # stop now; atomic writes lose nothing
            for process in list((getattr(self.pool, "_processes", None) or {}).values()):
                process.terminate()
        self.pool.shutdown(cancel_futures=True)

    def run(self, tasks: list, then=lambda key, outcome: ()):
        """Yield (key, outcome) for each (key, function, argument), as they finish. Once the caller
        has taken an outcome, ``then(key, outcome)`` may give more tasks, which run too: a unit's
        汇总表 starts as soon as its last form is written, while other units' forms still print."""
        if self.pool is None:
            queue = deque(tasks)
            while queue:
                key, function, argument = queue.popleft()
                outcome = function(argument)
                yield key, outcome
                queue.extendleft(reversed(list(then(key, outcome))))
            return
        # A few tasks a worker in the pool's queue at a time, so that those ``then`` gives go
        # before the ones still waiting here (the pool's own queue is first come, first served).
        waiting, running = deque(tasks), {}
        while waiting or running:
            while waiting and len(running) < 2 * self.count:
                key, function, argument = waiting.popleft()
                running[self.pool.submit(function, argument)] = key
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                key = running.pop(future)
                try:
                    outcome = future.result()
                except BrokenProcessPool:  # a worker died (out of memory, killed): a new pool goes on
                    outcome = Failed("生成它的进程意外退出（可能内存不足），未能生成；再次运行会重试")
                    self._replace_broken_pool()
                yield key, outcome
                waiting.extendleft(reversed(list(then(key, outcome))))

    def _replace_broken_pool(self) -> None:
        if getattr(self.pool, "_broken", False):
            self.pool.shutdown(wait=False, cancel_futures=True)
            self.pool = self._new_pool()


def _start_worker(build: int) -> None:
    """In each worker: Ctrl-C is the build's to handle, and the worker ends with its build."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    def watch() -> None:
        if os.name == "nt":  # spawned: the build's process handle says when it ends
            multiprocessing.parent_process().join()
        else:  # forked: a worker whose build is gone is adopted by another process
            while os.getppid() == build:
                time.sleep(0.5)
        os._exit(1)  # nobody waits for this worker's work

    threading.Thread(target=watch, name="formgen-watch-build", daemon=True).start()
