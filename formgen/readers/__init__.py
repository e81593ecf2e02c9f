"""The writers' mirror, readers: the files users have → Sheets, for ``formgen import``.

A reader gives one :class:`ReadSheet` per form a file holds: the cells with their
merges, the lines above the grid as headings, and how to name a cell to the user
(``申报表!C7``, ``第 3 页 表格第 5 行第 2 列``). What a file is comes from its content, not
its name (:mod:`.formats`: budget systems save HTML or XML under ``.xls``); whether a grid
is a form at all is decided by its title (:func:`form_kind`).

Every reader is bounded where its cost is decided, before a library allocates anything:
the file's size, what a ZIP unpacks to, cell coordinates and spans, a PDF's pages.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import FormgenError
from ..layout.sheet import Sheet

TITLES = {"财政项目支出绩效目标申报表": "申报表", "财政项目支出绩效自评表": "自评表", "财政项目支出绩效目标表": "目标表"}
# Forms are a page or a few (a unit's 汇总表 some dozens); these bounds keep a wrong or hostile
# file from taking minutes or gigabytes.
MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_ROWS = 5000
MAX_COLUMNS = 64
MAX_CELLS = MAX_ROWS * MAX_COLUMNS  # grid slots of one sheet, merged ones included


class ReadError(FormgenError):
    """A file that cannot be read as a form at all."""


@dataclass
class ReadSheet:
    """One form as read from a file."""

    sheet: Sheet
    source: str  # file name, and sheet name or form number: 课题研究.xlsx!申报表
    address: Callable[[tuple[int, int]], str]  # (row, col) → "x.xlsx 申报表!C7" or "x.docx#1 表格第 3 行第 2 列"
    problems: list[str] = field(default_factory=list)  # cells the file holds but a reader cannot read
    # Cells read without certainty (a PDF's line breaks), by (row, col): what and where, as a user reads it.
    doubts: dict[tuple[int, int], list[str]] = field(default_factory=dict)


def read(path: Path) -> list[ReadSheet]:
    """Every form in a file; a ReadError says why a file cannot be read."""
    from .formats import identify

    try:
        size = path.stat().st_size
        with open(path, "rb") as file:
            head = file.read(8192)
    except OSError as error:
        raise ReadError(f"{path}：无法读取（{error.strerror}）") from None
    if size > MAX_FILE_BYTES:
        raise ReadError(f"{path}：文件过大（{size / 1024 / 1024:.0f} MB），可导入的表单文件最多 20 MB")
    kind = identify(path, head)
    reader = importlib.import_module(f"{__name__}.{kind.reader}")
    found = reader.read(path, kind)
    for one in found:
        check_grid(path, one)
    return [one for one in found if form_kind(one.sheet)]


def check_grid(path: Path, found: ReadSheet) -> None:
    """Refuse a grid beyond the bounds, before anything walks its merged slots."""
    sheet = found.sheet
    rows = max((c.row + c.rowspan for c in sheet.cells), default=0)
    if rows > MAX_ROWS:
        raise too_many_rows(path, sheet.name, rows)
    if max((c.col + c.colspan for c in sheet.cells), default=0) > MAX_COLUMNS or \
            sum(c.rowspan * c.colspan for c in sheet.cells) > MAX_CELLS:
        raise too_many_columns(path, sheet.name)


def too_many_rows(path: Path, where: str, rows: int) -> ReadError:
    return ReadError(f"{path} {where}：有 {rows:,} 行，超过可导入的 {MAX_ROWS:,} 行；表单不会这样长，请检查文件")


def too_many_columns(path: Path, where: str) -> ReadError:
    return ReadError(f"{path} {where}：表格超过 {MAX_COLUMNS} 列或合并范围过大；表单不会这样宽，请检查文件")


def normalise(label: str) -> str:
    """A label as compared: no spaces or line breaks, no trailing colon, ASCII brackets."""
    text = re.sub(r"\s+", "", label).replace("（", "(").replace("）", ")").replace(":", "：")
    return text.rstrip("：")


_YEAR_PREFIX = re.compile(r"^\d{4}年度?")


def form_kind(sheet: Sheet) -> str | None:
    """申报表, 自评表 or 目标表, from the first title found in the headings or the cells; a title
    may begin with its year (``2025年度财政项目支出绩效目标申报表``)."""
    for text in [h.text for h in sheet.headings] + [cell.text for cell in sheet.cells]:
        kind = title_kind(text)
        if kind:
            return kind
    return None


def title_kind(text: str) -> str | None:
    """The form kind a line names, when the line is a form's title."""
    return TITLES.get(_YEAR_PREFIX.sub("", normalise(text)))
