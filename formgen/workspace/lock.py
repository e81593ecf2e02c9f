"""One build at a time per output folder.

Two builds writing into one output folder (an editor's ``watch`` and a person's
``build``) would interleave their forms and 汇总表 and remove each other's
temporary files. A build therefore holds an exclusive lock on
``<output>/.formgen-lock`` from start to end; a second build is told who holds it
and stops. The operating system releases the lock when a process dies, so a
killed build never leaves the folder locked.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path

from ..errors import FormgenError
from ..files import display_path

LOCK_FILE = ".formgen-lock"


class OutputBusy(FormgenError):
    """Another build holds the output folder."""


@contextmanager
def output_lock(output: Path):
    path = output / LOCK_FILE
    file = open(path, "a+")
    try:
        if not _try_lock(file):
            file.seek(0)
            holder = file.read().strip() or "未知"
            raise OutputBusy(f"另一个 formgen（进程 {holder}）正在生成到 {display_path(output)}，请等它结束后再试")
        file.seek(0)
        file.truncate()
        file.write(str(os.getpid()))
        file.flush()
        yield
    finally:
        file.close()  # closing releases the lock


def _try_lock(file) -> bool:
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        import msvcrt

        try:
            file.seek(0)
            msvcrt.locking(file.fileno(), msvcrt.LK_NBLCK, 1)
            return True
        except OSError:
            return False
    try:
        fcntl.flock(file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except OSError:
        return False
