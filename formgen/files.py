"""Paths as a user reads them, and files written whole or not at all.

Every file formgen writes (forms, 汇总表, project files, the build record, cut
fonts) goes through :func:`write_atomically`: the content is written to a
temporary name beside the target and renamed into place, so a crash or Ctrl-C
never leaves a half-written file where the last good one was.
"""

from __future__ import annotations

import os
from pathlib import Path

# Temporary files are named ``.<name>.<pid>.tmp``: hidden, and recognisable as leftovers.
TEMPORARY_PATTERN = ".*.tmp"


def display_path(path: Path) -> str:
    """A path as the user should read it: relative to the current folder when inside it."""
    try:
        return os.path.relpath(path)
    except ValueError:  # pragma: no cover - another drive on Windows
        return str(path)


def write_atomically(target: Path, write) -> None:
    """Call ``write(path)`` on a temporary file beside ``target``, then rename it into place."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        write(temporary)
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)


def write_text_atomically(target: Path, text: str) -> None:
    write_atomically(target, lambda path: path.write_text(text, encoding="utf-8"))
