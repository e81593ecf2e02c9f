"""``formgen watch``: rebuild on every save, until interrupted.

It polls rather than subscribing to file-system events: a workspace is a few
hundred small files, a poll of their sizes and modification times costs
milliseconds, and it works the same on every system and network drive. What a
change means is decided by the build itself, from content fingerprints.
"""

from __future__ import annotations

import time
from pathlib import Path

from ..load import SETTINGS_FILE
from .build import build
from .names import TEMPLATES_FOLDER


def snapshot(paths: list[Path]) -> dict[Path, tuple[int, int]]:
    """(size, mtime) of every file a build reads: projects, formgen.yaml, templates."""
    seen = {}
    for given in paths:
        candidates = [given] if given.is_file() else given.rglob("*")
        for path in candidates:
            if path.is_file() and (path.suffix in (".yaml", ".yml") or path.name == SETTINGS_FILE
                                   or TEMPLATES_FOLDER in path.parts):
                stat = path.stat()
                seen[path] = (stat.st_size, stat.st_mtime_ns)
    return seen


def watch(paths: list[Path], output: Path, formats, jobs, interval: float, on_build, stop=None) -> None:
    """Build once, then again after each change; ``stop()`` returning True ends the loop (for tests)."""
    last = snapshot(paths)
    on_build(build(paths, output, formats, jobs))
    while not (stop and stop()):
        time.sleep(interval)
        current = snapshot(paths)
        if current != last:
            time.sleep(min(interval, 0.2))  # let an editor finish writing
            last = snapshot(paths)
            on_build(build(paths, output, formats, jobs))
