"""Stage 3, writers: Sheet → file, one module a format, every one with the same two functions.

* ``write(sheet, path)`` writes one form;
* ``write_compilation(compilation, path)`` writes a unit's 汇总表.

This registry owns the list of formats and finds a writer by its name. A writer
module is imported only when its format is written: WeasyPrint alone takes most
of a second to import, and a DOCX-only build should not pay for it.
"""

from __future__ import annotations

import functools
import importlib
from types import ModuleType

from ..errors import FormgenError

FORMATS = ("docx", "xlsx", "pdf")
# The 汇总表 PDF is made of its forms' own PDFs, so it is written after them; the
# others are made of the forms' Sheets.
COMPILED_FROM_PRINTED_FORMS = frozenset({"pdf"})


def writer(fmt: str) -> ModuleType:
    """The writer module of a format name (``docx``, ``xlsx``, ``pdf``)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}")
    return importlib.import_module(f"{__name__}.{fmt}")


class WriterUnavailable(FormgenError):
    """A format this machine cannot write (no Pango or no CJK font for PDF); the message says what
    to install."""


@functools.cache
def unavailable(fmt: str) -> str | None:
    """Why ``fmt`` cannot be written on this machine, or None when it can. Checked once a process:
    a missing library is reported once for the build, not once for every form."""
    module = writer(fmt)
    try:
        if hasattr(module, "check_available"):
            module.check_available()
    except WriterUnavailable as error:
        return str(error)
    return None


def preload(formats=FORMATS) -> None:
    """Import the writers of ``formats`` (and load what they load lazily) now, before worker
    processes fork, so that they start warm."""
    for fmt in formats:
        if unavailable(fmt) is None and hasattr(writer(fmt), "preload"):
            writer(fmt).preload()


def paginate(sheet, formats=FORMATS):
    """The sheet cut into the pages every format prints (see ``plan``), or as it is where this
    machine has no Pango to measure with (no page plan then: each office suite breaks pages itself)."""
    if unavailable("pdf"):
        return sheet
    from . import plan

    return plan.paginate(sheet, keep_layout="pdf" in formats)


def parse_formats(value: object) -> tuple[str, ...] | None:
    """``docx,pdf`` or ``[docx, pdf]`` (full-width commas too) as formats; None if any is unknown."""
    items = value if isinstance(value, list) else str(value or "").replace("，", ",").split(",")
    formats = tuple(str(item).strip().lower() for item in items if str(item).strip())
    if not formats or any(f not in FORMATS for f in formats):
        return None
    return formats
