"""The Sheet: one form as a grid of cells, the only thing writers see.

A layout template decides everything about a form (which cells exist, what they
span, how they are aligned, which rows repeat on each page); ``layout`` reads the
template's HTML into a Sheet, and each writer translates the Sheet into its own
format without deciding anything of its own. Tests read each written file back
into the same shape and compare.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

# A4 in millimetres, and the margins every writer uses.
PAGE_SIZES_MM = {"portrait": (210, 297), "landscape": (297, 210)}
MARGIN_MM = 15
# The face DOCX and XLSX name for every text (the PDF's faces are in form.css), and
# the sizes of the lines above the grid.
BODY_FONT = "宋体"
HEADING_SIZES_PT = {"title": 18, "subtitle": 12, "note": 10.5}


@dataclass
class Cell:
    """A cell of the grid; ``row`` and ``col`` are 0-based, spans cover covered cells."""

    row: int
    col: int
    paragraphs: list[str]
    rowspan: int = 1
    colspan: int = 1
    is_label: bool = False
    align: str = "left"  # left | center | right
    amount: Decimal | None = None  # set when the cell shows an amount: XLSX stores a number

    @property
    def text(self) -> str:
        return "\n".join(self.paragraphs)


@dataclass
class Heading:
    """A line printed above the grid: the title, the year line, a unit line."""

    text: str
    kind: str  # title | subtitle | note
    align: str = "center"

    @property
    def size_pt(self) -> float:
        return HEADING_SIZES_PT[self.kind]

    @property
    def bold(self) -> bool:
        return self.kind == "title"


@dataclass
class Sheet:
    """A whole form: headings, then the grid, on an A4 page."""

    name: str
    headings: list[Heading]
    column_widths: list[Decimal]  # percentages of the printable width, adding up to 100
    cells: list[Cell]
    row_count: int
    repeat_rows: tuple[int, ...] = ()  # rows printed again at the top of each page
    orientation: str = "portrait"
    font_size_pt: Decimal = Decimal("10.5")

    @property
    def column_count(self) -> int:
        return len(self.column_widths)

    @property
    def printable_width_mm(self) -> int:
        return PAGE_SIZES_MM[self.orientation][0] - 2 * MARGIN_MM

    def column_widths_mm(self) -> list[float]:
        return [float(w) * self.printable_width_mm / 100 for w in self.column_widths]

    def grid(self) -> list[tuple[int, int, int, int, str]]:
        """(row, col, rowspan, colspan, text) of every cell, in reading order: what tests compare."""
        return sorted((c.row, c.col, c.rowspan, c.colspan, c.text) for c in self.cells)
