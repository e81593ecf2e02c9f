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
    lines: int | None = None  # the lines every format leaves it, once the pages are planned
    printed_lines: int | None = None  # the lines the PDF's own line breaker gives it (fewer: the PDF leaves room)
    narrower: float = 0.0  # how much narrower (pt) the PDF wraps it, not to leave a last character alone

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


@dataclass(frozen=True)
class Metrics:
    """How tall a form's lines and cells print, in points: what the page plan measured in the PDF's
    stylesheet, and what the DOCX prints with too, so that a row is as tall in every format. These
    defaults are form.css's (``tests/test_plan.py`` checks that they are what the plan measures)."""

    line: float = 14.175  # a line of text in a cell (line-height: 1.35 of 10.5 pt)
    padding: tuple[float, float] = (3.402, 4.252)  # a cell's padding above and below, and beside its text
    rule: float = 0.75  # the width of a cell's border
    # a heading's line and its margins (all below it), by kind: h1 18 pt, p 12 pt and 10.5 pt, on the
    # lines Noto Serif CJK sets (1.437 em), 2 mm, 4 mm and 2 mm below
    headings: tuple[tuple[str, float, float], ...] = (("title", 25.866, 5.669), ("subtitle", 17.244, 11.339),
                                                      ("note", 15.089, 5.669))

    def heading(self, kind: str) -> tuple[float, float]:
        """(line, margins) of a heading of ``kind``."""
        return next((line, margins) for name, line, margins in self.headings if name == kind)

    def cell_height(self, lines: int) -> float:
        """The height of a cell of ``lines`` lines, its padding and rules included (a row's pitch)."""
        return lines * self.line + 2 * self.padding[0] + self.rule


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
    metrics: Metrics = field(default_factory=Metrics)  # measured by the page plan
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

    def row_heights(self, cell_height) -> list[float]:
        """Each grid row's height, when each cell is ``cell_height(cell)`` tall: as tall as the tallest
        cell ending in it, a merged cell counted from its first row, as a table lays rows out."""
        ending: list[list[Cell]] = [[] for _ in range(self.row_count)]
        for cell in self.cells:
            ending[cell.row + cell.rowspan - 1].append(cell)
        tops = [0.0] * (self.row_count + 1)
        for row in range(self.row_count):
            tops[row + 1] = max([tops[row]] + [tops[c.row] + cell_height(c) for c in ending[row]])
        return [bottom - top for top, bottom in zip(tops, tops[1:])]

    def continued(self, row: int, parts: dict[int, tuple[list[str], list[str]]]) -> "Sheet":
        """This sheet with the long texts of ``row`` cut where a page will end (``parts``: by column,
        a text's paragraphs before the cut and after it; see ``joined``). The row keeps the heads;
        then the rows that head those texts (the keep rows just above ``row``: 项目总目标 and 年度总体目标)
        come again, and a row with the rests. A label beside the texts is printed in both rows, a
        value only in the first; a merged cell that runs into ``row`` (项目绩效目标) spans the new rows,
        so that ``split_at`` prints it on both pages."""
        heads = []
        while row - len(heads) - 1 in self.keep_rows:
            heads.insert(0, row - len(heads) - 1)
        added = len(heads) + 1
        rest = row + added

        def moved(r: int) -> int:
            return r if r <= row else r + added

        cells = []
        for cell in self.cells:
            end = cell.row + cell.rowspan - 1
            if cell.row == row:
                head, tail = parts.get(cell.col) or (cell.paragraphs, cell.paragraphs if cell.is_label else [])
                cells += [replace(cell, paragraphs=head), replace(cell, row=rest, paragraphs=tail)]
            elif cell.row < row <= end:
                cells.append(replace(cell, rowspan=cell.rowspan + added))
            else:
                cells.append(replace(cell, row=moved(cell.row)))
                if cell.row in heads:
                    cells.append(replace(cell, row=cell.row + added))
        return replace(self, cells=cells, row_count=self.row_count + added,
                       repeat_rows=tuple(map(moved, self.repeat_rows)),
                       keep_rows=tuple(sorted({*map(moved, self.keep_rows), *(h + added for h in heads)})))

    def split_at(self, starts, page_count: int | None = None) -> "Sheet":
        """This sheet paginated: each merged cell that a page start cuts becomes one cell a page,
        each with the text (a 一级/二级 label, 绩效指标), so that every page reads on its own.
        ``page_count`` is one page a start more, unless a row runs over a page (not a start)."""
        starts = tuple(sorted(set(starts)))
        cells = []
        for cell in self.cells:
            cut = [s for s in starts if cell.row < s < cell.row + cell.rowspan] if cell.rowspan > 1 else ()
            if not cut:
                cells.append(cell)
                continue
            edges = [cell.row, *cut, cell.row + cell.rowspan]
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


# A text cut over two pages (``Sheet.continued``) is cut between paragraphs only after the end of
# a sentence, and inside a paragraph never there: so a reader of the file can put it together again.
_SENTENCE_END = "。！？；.!?;"


def joined(head: str, tail: str) -> str:
    """A text that ``Sheet.continued`` cut, whole again: ``head`` ends a paragraph when it ends a sentence."""
    return head + ("\n" if head[-1:] in _SENTENCE_END else "") + tail


def reads_back(head: list[str], cut_inside_paragraph: bool) -> bool:
    """Whether a cut after the paragraphs ``head`` (the last one cut inside when ``cut_inside_paragraph``)
    reads back as it was cut (``joined``)."""
    ends_sentence = bool(head) and head[-1][-1:] in _SENTENCE_END
    return bool(head) and ends_sentence != cut_inside_paragraph


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
