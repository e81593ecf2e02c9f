"""The writers' mirror, readers: DOCX and XLSX forms → Sheet, for ``formgen import``.

A reader gives one :class:`ReadSheet` per form a file holds: the cells with their
merges (an XLSX's merged ranges, a DOCX's ``gridSpan``/``vMerge``), the lines above
the grid as headings, and how to name a cell to the user (``申报表!C7``). Whether
a grid is a form at all is decided by its title (:func:`form_kind`).
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..layout.sheet import Sheet

TITLES = {"财政项目支出绩效目标申报表": "申报表", "财政项目支出绩效自评表": "自评表", "财政项目支出绩效目标表": "目标表"}
READERS = {".xlsx": "xlsx", ".docx": "docx"}


@dataclass
class ReadSheet:
    """One form as read from a file."""

    sheet: Sheet
    source: str  # file name, and sheet name or form number: 课题研究.xlsx!申报表
    address: Callable[[tuple[int, int]], str]  # (row, col) → "申报表!C7" or "表格第 3 行第 2 列"


def read(path: Path) -> list[ReadSheet]:
    """Every form in an XLSX or DOCX file (by its suffix)."""
    reader = importlib.import_module(f"{__name__}.{READERS.get(path.suffix.lower(), 'docx')}")
    return [found for found in reader.read(path) if form_kind(found.sheet)]


def normalise(label: str) -> str:
    """A label as compared: no spaces or line breaks, no trailing colon, ASCII brackets."""
    text = re.sub(r"\s+", "", label).replace("（", "(").replace("）", ")").replace(":", "：")
    return text.rstrip("：")


def form_kind(sheet: Sheet) -> str | None:
    """申报表, 自评表 or 目标表, from the first title found in the headings or the cells."""
    for text in [h.text for h in sheet.headings] + [cell.text for cell in sheet.cells]:
        kind = TITLES.get(normalise(text))
        if kind:
            return kind
    return None
