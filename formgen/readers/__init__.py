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
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import FormgenError
from ..layout.sheet import Sheet

TITLES = {"财政项目支出绩效目标申报表": "申报表", "财政项目支出绩效自评表": "自评表", "财政项目支出绩效目标表": "目标表"}
READERS = {".xlsx": "xlsx", ".docx": "docx"}
# Forms are a page or a few; these bounds keep a wrong or hostile file from taking minutes.
MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_ROWS = 5000
_OLE_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")  # an encrypted OOXML file is an OLE container


class ReadError(FormgenError):
    """A file that cannot be read as a form at all."""


@dataclass
class ReadSheet:
    """One form as read from a file."""

    sheet: Sheet
    source: str  # file name, and sheet name or form number: 课题研究.xlsx!申报表
    address: Callable[[tuple[int, int]], str]  # (row, col) → "x.xlsx 申报表!C7" or "x.docx#1 表格第 3 行第 2 列"
    problems: list[str] = field(default_factory=list)  # cells the file holds but a reader cannot read


def read(path: Path) -> list[ReadSheet]:
    """Every form in an XLSX or DOCX file (by its suffix); a ReadError says why a file cannot be read."""
    import zipfile

    try:
        with open(path, "rb") as file:
            head = file.read(8)
        size = path.stat().st_size
    except OSError as error:
        raise ReadError(f"{path}：无法读取（{error.strerror}）") from None
    if head == _OLE_MAGIC:
        raise ReadError(f"{path}：文件设有打开密码（已加密），请在 Excel 或 WPS 中取消密码、另存后再导入")
    if size > MAX_FILE_BYTES:
        raise ReadError(f"{path}：文件过大（{size / 1024 / 1024:.0f} MB），可导入的表单文件最多 20 MB")
    reader = importlib.import_module(f"{__name__}.{READERS.get(path.suffix.lower(), 'docx')}")
    try:
        found = reader.read(path)
    except (zipfile.BadZipFile, KeyError, ValueError) as error:
        raise ReadError(f"{path}：不是有效的 XLSX 或 DOCX 文件，或已损坏（{error}）") from None
    return [one for one in found if form_kind(one.sheet)]


def too_many_rows(path: Path, where: str, rows: int) -> ReadError:
    return ReadError(f"{path} {where}：有 {rows:,} 行，超过可导入的 {MAX_ROWS:,} 行；表单不会这样长，请检查文件")


def normalise(label: str) -> str:
    """A label as compared: no spaces or line breaks, no trailing colon, ASCII brackets."""
    text = re.sub(r"\s+", "", label).replace("（", "(").replace("）", ")").replace(":", "：")
    return text.rstrip("：")


_YEAR_PREFIX = re.compile(r"^\d{4}年度?")


def form_kind(sheet: Sheet) -> str | None:
    """申报表, 自评表 or 目标表, from the first title found in the headings or the cells; a title
    may begin with its year (``2025年度财政项目支出绩效目标申报表``)."""
    for text in [h.text for h in sheet.headings] + [cell.text for cell in sheet.cells]:
        kind = TITLES.get(_YEAR_PREFIX.sub("", normalise(text)))
        if kind:
            return kind
    return None
