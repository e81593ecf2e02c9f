"""``formgen watch``: rebuild on every save, until interrupted.

It polls rather than subscribing to file-system events: a workspace is a few
hundred small files, a poll of their sizes and modification times costs
milliseconds, and it works the same on every system and network drive. What a
change means is decided by the build itself, from content fingerprints.
"""

from __future__ import annotations

import time
from pathlib import Path

from ..errors import FormgenError
from .build import build
from .names import PROJECT_SUFFIXES, TEMPLATES_FOLDER


def snapshot(paths: list[Path]) -> dict[Path, tuple[int, int]]:
    """(size, mtime) of every file a build reads: projects, formgen.yaml, templates. A file that
    vanishes while it is looked at (a sync client or git replacing it) is simply not in it."""
    seen = {}
    for given in paths:
        try:
            candidates = [given] if given.is_file() else list(given.rglob("*"))
        except OSError:  # a folder removed mid-walk: the next poll sees the new state
            continue
        for path in candidates:
            if path.suffix.lower() in PROJECT_SUFFIXES or TEMPLATES_FOLDER in path.parts:
                try:
                    stat = path.stat()
                except OSError:  # gone, or a dangling link
                    continue
                seen[path] = (stat.st_size, stat.st_mtime_ns)
    return seen


def watch(paths: list[Path], output: Path, formats, jobs, interval: float, on_build, on_error, stop=None) -> None:
    """Build once, then again after each change, until interrupted; ``stop()`` returning True ends
    the loop (for tests). A build that cannot run at all (``FormgenError``: the output folder is
    busy or not writable) goes to ``on_error`` and the watch goes on."""
    def rebuild() -> None:
        try:
            on_build(build(paths, output, formats, jobs))
        except FormgenError as error:
            on_error(error)

    last = snapshot(paths)
    rebuild()
    while not (stop and stop()):
        time.sleep(interval)
        current = snapshot(paths)
        if current != last:
            time.sleep(min(interval, 0.2))  # let an editor finish writing
            last = snapshot(paths)
            rebuild()
