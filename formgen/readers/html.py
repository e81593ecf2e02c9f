"""HTML tables (what Excel's "web page", and many budget systems, save under .xls) → Sheet.

Read as the DOCX reader reads a document: a form starts at its first line of text, the
lines above its table are its headings, and text after a table starts the next form, so a
file of several forms reads as one Sheet a form. Cells are placed as a browser places them;
``<br>`` and ``<p>`` inside a cell start a paragraph; Excel's ``x:num`` is the exact number
a cell shows.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from html.parser import HTMLParser
from pathlib import Path

from . import ReadSheet
from .grid import Placer
from .xlsx import number_text
from ..layout.sheet import Heading, Sheet

_BLOCKS = {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "caption", "title"}
_SKIPPED = {"style", "script", "head", "xml"}


def read(path: Path, kind=None):
    reader = _Reader(path)
    reader.feed(_decode(path.read_bytes()))
    reader.close()
    reader.end_text()
    return reader.found


def _decode(data: bytes) -> str:
    for bom, encoding in ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
        if data.startswith(bom):
            return data[len(bom):].decode(encoding, "replace")
    declared = re.search(rb"""charset\s*=\s*["']?([A-Za-z0-9_-]+)""", data[:4096])
    encodings = [declared.group(1).decode("ascii").lower()] if declared else []
    for encoding in encodings + ["utf-8", "gb18030"]:
        try:
            return data.decode("gb18030" if encoding in ("gb2312", "gbk") else encoding)
        except (LookupError, UnicodeDecodeError):
            continue
    return data.decode("gb18030", "replace")


def _span(value: str | None) -> int:
    value = (value or "").strip()
    return int(value[:9]) if value.isascii() and value.isdigit() else 1


class _Reader(HTMLParser):
    def __init__(self, path: Path):
        super().__init__(convert_charrefs=True)
        self.path = path
        self.found: list[ReadSheet] = []
        self.sheet: Sheet | None = None
        self.placer: Placer | None = None
        self.depth = 0  # of tables: a table inside a cell is read as that cell's text
        self.cell = None  # (paragraphs, rowspan, colspan, amount) of the cell being read
        self.text: list[str] = []  # text outside tables, since the last line
        self.skipping = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag in _SKIPPED:
            self.skipping += 1
        elif tag == "table":
            self.depth += 1
            if self.depth == 1:
                self.end_text()
                if self.sheet is None:
                    self._new_sheet()
                self.placer = Placer(self.path, self.sheet.name)
                self.placer.row = self.sheet.row_count - 1  # tables of one form follow each other
        elif self.depth == 1 and tag == "tr":
            self._end_cell()
            self.placer.next_row()
        elif self.depth == 1 and tag in ("td", "th"):
            self._end_cell()
            self.cell = ([""], _span(a.get("rowspan")), _span(a.get("colspan")), _amount(a.get("x:num")))
        elif tag == "br" or (tag in _BLOCKS and self.cell is not None):
            self._line_break()
        elif tag in _BLOCKS:
            self.end_text()

    def handle_endtag(self, tag):
        if tag in _SKIPPED:
            self.skipping = max(self.skipping - 1, 0)
        elif tag == "table" and self.depth:
            self.depth -= 1
            if self.depth == 0:
                self._end_cell()
                self.sheet.cells += self.placer.cells
                self.sheet.row_count = max(self.sheet.row_count, self.placer.row_count)
                self.placer = None
        elif self.depth == 1 and tag in ("td", "th", "tr"):
            self._end_cell()
        elif tag in _BLOCKS and self.cell is not None:
            self._line_break()
        elif tag in _BLOCKS:
            self.end_text()

    def handle_data(self, data):
        if self.skipping:
            return
        data = re.sub(r"[ \t\r\n\f]+", " ", data.replace("\xa0", " "))
        if self.cell is not None:
            self.cell[0][-1] += data
        elif self.depth == 0:
            self.text.append(data)

    def _line_break(self):
        if self.cell is not None:
            self.cell[0].append("")
        else:
            self.end_text()

    def _end_cell(self):
        if self.cell is None or self.placer is None:
            self.cell = None
            return
        lines, rowspan, colspan, amount = self.cell
        paragraphs = [line.strip() for line in lines]
        while paragraphs and not paragraphs[-1]:
            paragraphs.pop()
        while paragraphs and not paragraphs[0]:
            paragraphs.pop(0)
        cell = self.placer.place(paragraphs, rowspan, colspan, amount=amount)
        if amount is not None:
            cell.paragraphs = [number_text(amount)] if not paragraphs else paragraphs
        self.cell = None

    def end_text(self):
        """A line of text outside the tables: a heading of the current form, or the first of a new one."""
        line = "".join(self.text).strip()
        self.text = []
        if not line:
            return
        if self.sheet is None or self.sheet.cells:  # a form's first line, or a line after its grid
            self._new_sheet()
        self.sheet.headings.append(Heading(line, "note"))

    def _new_sheet(self):
        number = len(self.found) + 1
        self.sheet = Sheet(f"#{number}", [], [], [], 0)
        source = f"{self.path.name}#{number}"
        self.found.append(ReadSheet(self.sheet, source,
                                    lambda rc, source=source: f"{source} 表格第 {rc[0] + 1} 行第 {rc[1] + 1} 列"))


def _amount(value: str | None) -> Decimal | None:
    try:
        number = Decimal(value.strip()) if value else None
    except InvalidOperation:
        return None
    return number if number is not None and number.is_finite() else None
