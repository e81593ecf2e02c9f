"""Excel 2003 XML (SpreadsheetML, often saved under .xls by budget systems) → Sheet, one per worksheet.

Cells name their column (``ss:Index``) and merges (``ss:MergeAcross``, ``ss:MergeDown``);
a cell without an index takes the next slot no merge from above covers, as Excel places it.
Numbers are written as decimal text, so amounts are exact. The XML is read only after its
prolog was checked for a DTD (:func:`.package.refuse_dtd`).
"""

from __future__ import annotations

import datetime
import xml.etree.ElementTree as ElementTree
from decimal import Decimal, InvalidOperation
from pathlib import Path

from . import ReadError, ReadSheet
from .grid import Placer
from .package import refuse_dtd
from .xlsx import date_text, number_text
from ..layout.sheet import Sheet

SS = "{urn:schemas-microsoft-com:office:spreadsheet}"


def read(path: Path, kind=None):
    from openpyxl.utils import get_column_letter

    with open(path, "rb") as stream:
        refuse_dtd(stream, str(path))
    try:
        root = ElementTree.parse(path).getroot()
    except ElementTree.ParseError as error:
        raise ReadError(f"{path}：不是有效的 Excel 2003 XML 文件，或已损坏（{error}）") from None
    found = []
    for index, ws in enumerate(root.iter(f"{SS}Worksheet")):
        title = ws.get(f"{SS}Name") or f"Sheet{index + 1}"
        placer, errors = Placer(path, title), []
        for table in ws.iter(f"{SS}Table"):
            for row in table.iter(f"{SS}Row"):
                placer.next_row(_index(row))
                for cell in row.iter(f"{SS}Cell"):
                    text, amount, error = _value(cell.find(f"{SS}Data"))
                    placed = placer.place(text.split("\n") if text else [], _number(cell.get(f"{SS}MergeDown")) + 1,
                                          _number(cell.get(f"{SS}MergeAcross")) + 1, _index(cell), amount)
                    if error:
                        errors.append(f"{title}!{get_column_letter(placed.col + 1)}{placed.row + 1}（显示为 {error}）")
        sheet = Sheet(title, [], [], placer.cells, placer.row_count)
        problems = [f"{path.name} {where}：是出错的公式；以 = 开头的指标值请在单元格中写成文本（前面加英文单引号 '）"
                    for where in errors]
        found.append(ReadSheet(sheet, f"{path.name}!{title}",
                               lambda rc, title=title: f"{path.name} {title}!{get_column_letter(rc[1] + 1)}{rc[0] + 1}",
                               problems))
    return found


def _value(data) -> tuple[str, Decimal | None, str | None]:
    """(text, exact number, error shown) of a cell's ``Data``; rich text keeps only its characters."""
    if data is None:
        return "", None, None
    text = "".join(data.itertext())
    kind = data.get(f"{SS}Type", "String")
    if kind == "Number":
        try:
            number = Decimal(text.strip())
        except InvalidOperation:
            return text, None, None
        return (number_text(number), number, None) if number.is_finite() else (text, None, None)
    if kind == "DateTime":
        try:
            return date_text(datetime.datetime.fromisoformat(text.strip()[:19])), None, None
        except ValueError:
            return text, None, None
    if kind == "Boolean":
        return ("TRUE" if text.strip() == "1" else "FALSE"), None, None
    if kind == "Error":
        return "", None, text.strip()
    return text, None, None


def _number(text: str | None) -> int:
    """A span or an index as written; a malformed one counts as none, a huge one stays huge for the bounds."""
    return int(text[:9]) if text and text.isascii() and text.isdigit() else 0


def _index(element) -> int | None:
    """The 0-based position an ``ss:Index`` names (it counts from 1), or None."""
    number = _number(element.get(f"{SS}Index"))
    return number - 1 if number else None
