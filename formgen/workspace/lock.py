"""One build at a time per output folder.

Two builds writing into one output folder (an editor's ``watch`` and a person's
``build``) would interleave their forms and 汇总表 and remove each other's
temporary files. A build therefore holds an exclusive lock on
``<output>/.formgen-lock`` from start to end; a second build is told who holds it
and stops. The operating system releases the lock when the last process holding
it ends, so a killed build never leaves the folder locked: the worker processes a
build forks drop their copy of it at once (``os.register_at_fork``), and end when
their build does (``tasks.Workers``).
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path

from ..errors import FormgenError
from ..files import display_path

LOCK_FILE = ".formgen-lock"
_held: set = set()  # the lock files this process holds


def _drop_inherited_locks() -> None:
    """In a forked child: close the lock files it inherited, which would otherwise keep the output
    folder locked for as long as the child lives (after its build was killed, say)."""
    for file in list(_held):
        try:
            file.close()
        except OSError:  # pragma: no cover - nothing left to release
            pass
    _held.clear()


if hasattr(os, "register_at_fork"):  # not on Windows, where children are spawned and inherit nothing
    os.register_at_fork(after_in_child=_drop_inherited_locks)


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
        _held.add(file)
        yield
    finally:
        _held.discard(file)
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
