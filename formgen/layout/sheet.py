"""The Sheet: one form as a grid of cells, the only thing writers see, and what readers give back.

A layout template decides everything about a form (which cells exist, what they
span, how they are aligned, which rows repeat on each page); ``layout`` reads the
template's HTML into a Sheet, and each writer translates the Sheet into its own
format without deciding anything of its own. Readers read a DOCX or XLSX form back
into the same shape. A :class:`Compilation` is a unit's 汇总表: a title and its forms.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path

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
    stylesheet: str = field(default="", repr=False)  # the CSS a PDF is printed with (form.css)
    keep_rows: tuple[int, ...] = ()  # rows never last on a page: a section's header, the rows before 总分
    page_starts: tuple[int, ...] = ()  # rows that open a new page, once the pages are planned
    page_count: int | None = None  # how many pages it prints on, once planned
    author: str = ""  # the unit the form is from: document properties

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

    def split_at(self, starts, page_count: int | None = None) -> "Sheet":
        """This sheet paginated: each merged cell that a page start cuts becomes one cell a page,
        each with the text (a 一级/二级 label, 绩效指标), so that every page reads on its own.
        ``page_count`` is one page a start more, unless a row runs over a page (not a start)."""
        starts = tuple(sorted(set(starts)))
        cells = []
        for cell in self.cells:
            edges = [cell.row, *(s for s in starts if cell.row < s < cell.row + cell.rowspan), cell.row + cell.rowspan]
            cells += [replace(cell, row=top, rowspan=bottom - top) for top, bottom in zip(edges, edges[1:])]
        return replace(self, cells=cells, page_starts=starts, page_count=page_count or len(starts) + 1)

    @property
    def footer_parts(self) -> tuple[str, str, str]:
        """The running footer of every page, around its two numbers: the form's name and 第 N 页
        共 M 页, as (before the page number, between the two, after the page count)."""
        return f"{self.name}　　第 ", " 页 共 ", " 页"

    def slot_owners(self) -> dict[tuple[int, int], Cell]:
        """The cell covering each (row, col) slot of the grid, merged slots included."""
        owner = {}
        for cell in self.cells:
            for r in range(cell.row, cell.row + cell.rowspan):
                for c in range(cell.col, cell.col + cell.colspan):
                    owner[r, c] = cell
        return owner


@dataclass
class Member:
    """One form of a 汇总表: what its index lists, its grid, and where its own PDF is."""

    name: str
    kind: str  # 申报表 | 自评表 | 目标表
    amount: Decimal | None  # the 项目资金 the index lists, in 元
    sheet: Sheet | None = None  # None for the PDF, which is made of the forms' own PDFs
    pdf: Path | None = None


@dataclass
class Compilation:
    """A unit's 汇总表: a title page, then every form in order."""

    title: str
    members: list[Member]
    stylesheet: str = field(default="", repr=False)  # the CSS the title page is printed with
    cache: Path | None = None  # a folder where printed title pages are kept between builds

    @property
    def title_lines(self) -> list[str]:
        """The title as printed on the cover: broken before its year, or after the unit's name,
        never inside a word (a CJK title would otherwise break wherever the line is full)."""
        match = re.search(r"\d{4}年", self.title) or re.search(r"(?<=局|府|心|会|院|所|办)(?=.{6,})", self.title)
        if match and match.start() >= 4:
            return [self.title[:match.start()], self.title[match.start():]]
        return [self.title]
