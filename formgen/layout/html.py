"""Layout HTML → Sheet: the HTML subset a template writes, placed on the grid as a browser would.

The subset that carries meaning:

* ``<article class="form" data-orientation="portrait|landscape">`` holds the form;
* ``<h1>`` is the title, ``<p class="subtitle">`` and ``<p class="note">`` lines above the grid;
* one ``<table>`` whose ``<col style="width: N%">`` give the column widths;
* ``<tr class="repeat">`` marks rows printed again at the top of each page, ``<tr class="keep">``
  rows never printed last on a page (kept with the row after them);
* ``<th>`` is a centered label, ``<td>`` a value, left-aligned unless ``class="center"``
  or ``class="amount"`` (right); ``data-amount`` holds the exact number a cell shows, which
  XLSX stores as a number;
* ``rowspan``/``colspan`` are the merges; ``<p>`` inside a cell starts a paragraph.
"""

from __future__ import annotations

import re
from decimal import Decimal
from html.parser import HTMLParser

from ..errors import FormgenError
from .sheet import Cell, Heading, Sheet


class TemplateError(FormgenError):
    """A layout template that cannot be rendered or that breaks the HTML subset."""


MAX_SPAN = 2000  # rows or columns a cell may span: a form at the bounds has about 520 rows


def _span(attributes: dict, name: str) -> int:
    value = attributes.get(name) or "1"
    if not value.isdigit() or not 1 <= int(value) <= MAX_SPAN:
        raise TemplateError(f"{name}=\"{value}\" 应为 1 到 {MAX_SPAN} 的整数")
    return int(value)


def _amount(attributes: dict) -> Decimal | None:
    value = attributes.get("data-amount")
    try:
        amount = Decimal(value) if value else None
    except ArithmeticError:
        amount = Decimal("NaN")
    if amount is not None and not amount.is_finite():
        raise TemplateError(f"data-amount=\"{value}\" 不是数")
    return amount


def parse_sheet(html: str, name: str) -> Sheet:
    """Read a layout's HTML into a Sheet, placing each cell on the grid as a browser would."""
    reader = _SheetReader()
    reader.feed(html)
    reader.close()
    if not reader.widths:
        raise TemplateError("表格缺少 <col style=\"width: N%\"> 列宽")
    return Sheet(
        name=name,
        headings=reader.headings,
        column_widths=reader.widths,
        cells=reader.cells,
        row_count=reader.row,
        repeat_rows=tuple(reader.repeat_rows),
        keep_rows=tuple(reader.keep_rows),
        orientation=reader.orientation,
    )


_WIDTH = re.compile(r"width\s*:\s*([\d.]+)\s*%")


class _SheetReader(HTMLParser):
    """Collects headings and cells; tracks which grid slots earlier rowspans already fill."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.headings: list[Heading] = []
        self.widths: list[Decimal] = []
        self.cells: list[Cell] = []
        self.repeat_rows: list[int] = []
        self.keep_rows: list[int] = []
        self.orientation = "portrait"
        self.row = 0  # rows completed so far
        self.col = 0
        self.taken: set[tuple[int, int]] = set()
        self.cell: Cell | None = None
        self.heading: Heading | None = None
        self.in_table = False
        self.in_style = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        classes = (a.get("class") or "").split()
        if tag == "style":
            self.in_style = True
        elif tag == "article" and "form" in classes:
            self.orientation = a.get("data-orientation", "portrait")
        elif tag == "table":
            self.in_table = True
        elif tag == "col":
            match = _WIDTH.search(a.get("style", ""))
            if match:
                self.widths.append(Decimal(match.group(1)))
        elif tag == "tr":
            self.col = 0
            if "repeat" in classes:
                self.repeat_rows.append(self.row)
            if "keep" in classes or "repeat" in classes:  # a header row never ends a page
                self.keep_rows.append(self.row)
        elif tag in ("td", "th"):
            while (self.row, self.col) in self.taken:
                self.col += 1
            rowspan, colspan = _span(a, "rowspan"), _span(a, "colspan")
            align = "right" if "amount" in classes else "left"
            if tag == "th" or "center" in classes:
                align = "center"
            self.cell = Cell(self.row, self.col, [""], rowspan, colspan, tag == "th", align, _amount(a))
            for r in range(self.row, self.row + rowspan):
                for c in range(self.col, self.col + colspan):
                    self.taken.add((r, c))
            self.col += colspan
        elif tag == "p" and self.cell is not None:
            if self.cell.paragraphs != [""]:
                self.cell.paragraphs.append("")
        elif tag == "br" and self.cell is not None:
            self.cell.paragraphs.append("")
        elif tag == "h1" and not self.in_table:
            self.heading = Heading("", "title")
        elif tag == "p" and not self.in_table and classes[:1] in (["subtitle"], ["note"]):
            self.heading = Heading("", classes[0], "left" if classes[0] == "note" else "center")

    def handle_endtag(self, tag):
        if tag == "style":
            self.in_style = False
        elif tag == "table":
            self.in_table = False
        elif tag == "tr":
            self.row += 1
        elif tag in ("td", "th") and self.cell is not None:
            if self.cell.paragraphs == [""]:
                self.cell.paragraphs = []
            self.cells.append(self.cell)
            self.cell = None
        elif tag in ("h1", "p") and self.heading is not None:
            self.headings.append(self.heading)
            self.heading = None

    def handle_data(self, data):
        if self.in_style:
            return
        if self.cell is not None:
            self.cell.paragraphs[-1] += data
        elif self.heading is not None:
            self.heading.text += data.strip()
