"""The page plan, measured: where each page of a form starts, without laying the form out.

Every format prints the pages the PDF prints (``paginate``). Laying a form out with
WeasyPrint to find them costs about 80 ms; the plan needs much less: the height of every
row and the rules WeasyPrint breaks a table by.

* Heights: each cell's text is broken into lines by WeasyPrint's own line breaker
  (``split_first_line``: Pango, with the faces, size and width the PDF uses), so a cell
  wraps here exactly where it wraps in the PDF. The geometry around the text (padding,
  borders, margins, line heights, page box) is read once per stylesheet and orientation
  from a two-row calibration layout, so it follows the stylesheet.
* Placing: rows go down the page as in WeasyPrint's table layout. A row is as tall as the
  tallest cell ending in it, a merged cell counted from its first row when that row is on
  the same page. A row that does not fit opens the next page, unless the row before it is
  a keep row (``break-after: avoid``): the page then opens at the first row of that run. A
  page past the header rows starts with them again. A very tall row (``measure.
  splittable_rows``: long goals) is split as WeasyPrint splits it: the lines that fit stay,
  two of a paragraph at least on either side, the rest open the next page.

What it does not model it does not guess: a tall row split below the repeated header or
holding a merged cell, a row taller than a page, or a run of keep rows filling a page
answers None, and the form is laid out with WeasyPrint instead (``pdf.paginate``). None
of the samples needs that. The PDF writer checks its pages against the plan either way.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from decimal import Decimal

from ..layout.sheet import Cell, Heading, Sheet
from . import pdf
from .measure import splittable_rows

_SAMPLE_TEXT = "测"
_PT_PER_PX = 0.75  # CSS px are 1/96 in
# How often the plan of a cut sheet is measured again: labels repeated on a new page can
# make a row taller and move a later break (on every sample the first check agrees).
_ROUNDS = 3


def paginate(sheet: Sheet, keep_layout: bool = True) -> Sheet:
    """The sheet cut into the pages every format prints: measured, or laid out by WeasyPrint
    where the measure cannot tell (see the module's docstring)."""
    pages = plan_pages(sheet)
    if pages is None:
        return pdf.paginate(sheet, keep_layout)
    return sheet.split_at(*pages)


def page_starts(sheet: Sheet) -> tuple[int, ...] | None:
    """The rows that open pages 2, 3, … (see ``plan_pages``), or None when the measure cannot tell."""
    pages = plan_pages(sheet)
    return pages and pages[0]


def plan_pages(sheet: Sheet) -> tuple[tuple[int, ...], int] | None:
    """The rows that open pages (a row running over a page opens none) and the number of pages,
    as WeasyPrint will print the sheet once it is cut there (its labels repeated on each page),
    or None when the measure cannot tell."""
    pages = _place_rows(sheet)
    for _ in range(_ROUNDS):
        if pages is None:
            return None
        again = _place_rows(sheet.split_at(pages[0]))
        if again == pages:
            return pages
        pages = again
    return None


@dataclass(frozen=True)
class _Geometry:
    """What one stylesheet's boxes measure on a page of one orientation, in CSS px."""

    page_top: float  # the top of the page's content box
    page_bottom: float  # its bottom: a row must end above it
    first_heading_top: float  # from page_top to the first heading (the body's margin)
    heading_width: float  # the width headings wrap in
    headings: dict  # kind -> (text style, line height, vertical margins)
    table_edge: float  # the table's own border above its first row and below its last
    table_width: float  # what the column percentages are of
    cell_styles: dict  # is_label -> text style of a cell
    line_height: float  # of a line of text in a cell
    cell_extra_height: float  # padding and borders above and below a cell's text
    cell_extra_width: float  # and beside it


def _place_rows(sheet: Sheet) -> tuple[tuple[int, ...], int] | None:
    """The page starts and the page count of ``sheet`` as it is (cut or not), or None (see the
    module's docstring)."""
    geometry = _geometry(sheet.stylesheet, sheet.orientation)
    lines = paragraph_lines(sheet, geometry)
    heights = _cell_heights(lines, geometry)
    starting: list[list[Cell]] = [[] for _ in range(sheet.row_count)]
    ending: list[list[Cell]] = [[] for _ in range(sheet.row_count)]
    for cell in sheet.cells:
        starting[cell.row].append(cell)
        ending[cell.row + cell.rowspan - 1].append(cell)
    splittable = splittable_rows(sheet)
    header = sheet.repeat_rows
    bottom = geometry.page_bottom - geometry.table_edge

    def height(row: int, tops: dict[int, float]) -> float:
        """The row's height on a page where ``tops`` holds the tops of the rows placed so far."""
        top = tops[row]
        return max([top] + [tops[c.row] + heights[id(c)] for c in ending[row] if c.row in tops]) - top

    starts: list[int] = []
    count = 1
    tops: dict[int, float] = {}
    y = geometry.page_top + geometry.first_heading_top + _headings_height(sheet, geometry) + geometry.table_edge
    page_start, row = 0, 0
    while row < sheet.row_count:
        tops[row] = y
        row_bottom = y + height(row, tops)
        content_bottom = max([row_bottom] + [y + heights[id(c)] for c in starting[row]])
        if content_bottom <= bottom * (1 + 1e-9):  # WeasyPrint's own tolerance
            y, row = row_bottom, row + 1
            continue
        if row in splittable:  # WeasyPrint splits it: its text runs on at the top of the next page
            rest = _rest_of_split_row(starting[row], lines, y, geometry)
            if rest is None or (header and row > max(header)) or geometry.page_top + rest > bottom:
                return None  # below a repeated header, or running over one more page: not modelled
            count, page_start, row, tops = count + 1, row, row + 1, {}
            y = geometry.page_top + rest
            continue
        if row == page_start:
            return None  # taller than a page: WeasyPrint would split it
        start = row
        while start - 1 in sheet.keep_rows:
            start -= 1
        if header and min(header) <= start <= max(header):
            start = max(header) + 1  # the whole header moves: the page opens below it, as it repeats
        if start <= page_start:
            return None
        starts.append(start)
        count += 1
        page_start, row, tops = start, start, {}
        y = geometry.page_top + geometry.table_edge
        if header and start > max(header):  # the header rows again at the top
            for repeated in header:
                tops[repeated] = y
                y += height(repeated, tops)
    return tuple(starts), count


# CSS's default orphans and widows: a paragraph split over two pages leaves two lines on each.
_ORPHANS = _WIDOWS = 2


def _rest_of_split_row(cells: list[Cell], lines: dict[int, list[int]], top: float, geometry: _Geometry) -> float | None:
    """The height of what a split row prints at the top of the next page: the lines of its cells
    (``lines``: by paragraph) that did not fit on this page (lines may reach the page's very bottom),
    each paragraph keeping two lines on either side of the break, and the cells' bottom padding and
    border. None when it is not a split WeasyPrint makes this way (a merged cell in the row, nothing
    that fits)."""
    edge = geometry.cell_extra_height / 2  # border and padding above the first line, and below the last
    room = (geometry.page_bottom * (1 + 1e-9) - top - edge) / geometry.line_height  # lines that fit, and a part
    if cells == [] or any(c.rowspan > 1 for c in cells):
        return None
    rest, placed = 0.0, 0
    for cell in cells:
        total = sum(lines[id(cell)])
        if total <= room < total + edge / geometry.line_height:
            return None  # its last line fits, its bottom padding not: not modelled
        fitting = _fitting_lines(lines[id(cell)], int(room))
        placed += fitting
        if fitting < total:
            rest = max(rest, (total - fitting) * geometry.line_height + edge)
    return rest if rest and placed else None


def _fitting_lines(paragraphs: list[int], room: int) -> int:
    """How many of a cell's lines (given per paragraph) print above a break after ``room`` lines:
    a paragraph cut there keeps ``_ORPHANS`` lines before it and ``_WIDOWS`` after, or moves whole."""
    before = 0
    for lines in paragraphs:
        if before + lines <= room:
            before += lines
            continue
        inside = min(room - before, lines - _WIDOWS)
        return before + inside if inside >= _ORPHANS else before
    return before


def _cell_heights(lines: dict[int, list[int]], geometry: _Geometry) -> dict[int, float]:
    """The height of each cell's box (by ``id``), from its lines (by paragraph)."""
    return {key: sum(counts) * geometry.line_height + geometry.cell_extra_height for key, counts in lines.items()}


def row_heights_pt(sheet: Sheet, narrower_by: float = 0.0) -> list[float]:
    """Each grid row's height in points as the PDF prints the (cut) sheet, for a format that sets
    row heights itself (XLSX): as tall as the tallest cell ending in it, a merged cell counted from
    its first row. ``narrower_by`` px narrows every text, leaving room for a face that sets wider."""
    geometry = _geometry(sheet.stylesheet, sheet.orientation)
    ending: list[list[Cell]] = [[] for _ in range(sheet.row_count)]
    for cell in sheet.cells:
        ending[cell.row + cell.rowspan - 1].append(cell)
    heights = _cell_heights(paragraph_lines(sheet, geometry, narrower_by), geometry)
    tops = [0.0] * (sheet.row_count + 1)
    for row in range(sheet.row_count):
        tops[row + 1] = max([tops[row]] + [tops[c.row] + heights[id(c)] for c in ending[row]])
    return [(bottom - top) * _PT_PER_PX for top, bottom in zip(tops, tops[1:])]


def paragraph_lines(sheet: Sheet, geometry: _Geometry | None = None, narrower_by: float = 0.0) -> dict[int, list[int]]:
    """The lines each paragraph of each cell (by ``id``) wraps to in its columns, as the PDF prints it."""
    geometry = geometry or _geometry(sheet.stylesheet, sheet.orientation)
    columns = [float(w) / 100 * geometry.table_width for w in sheet.column_widths]
    lines = {}
    for cell in sheet.cells:
        width = sum(columns[cell.col : cell.col + cell.colspan]) - geometry.cell_extra_width - narrower_by
        lines[id(cell)] = [_line_count(p, width, geometry.cell_styles[cell.is_label]) for p in cell.paragraphs]
    return lines


def _headings_height(sheet: Sheet, geometry: _Geometry) -> float:
    """The height of the lines above the grid (title, year, unit), margins included."""
    total = 0.0
    for heading in sheet.headings:
        style, line_height, margins = geometry.headings[heading.kind]
        total += _line_count(heading.text, geometry.heading_width, style) * line_height + margins
    return total


def _line_count(text: str, width: float, style) -> int:
    """How many lines WeasyPrint breaks ``text`` into in a box ``width`` px wide: its own line
    breaker, line after line, as its inline layout calls it. An empty paragraph has none."""
    key = (text, width)
    if key not in style.line_counts:
        if len(style.line_counts) > 50_000:  # a long build of varied texts: start again
            style.line_counts.clear()
        style.line_counts[key] = sum(_lines(paragraph.encode(), width, style.style) for paragraph in text.split("\n"))
    return style.line_counts[key]


def _lines(rest: bytes, width: float, style) -> int:
    from weasyprint.text.line_break import split_first_line

    lines = 0
    while rest:
        lines += 1
        resume = split_first_line(rest.decode(), style, None, width, 0, True)[2]
        if resume is None:
            break
        rest = rest[resume:]
    return lines


@dataclass(frozen=True)
class _TextStyle:
    """A text's computed style in WeasyPrint, with the line counts measured in it so far
    (labels and short values repeat from form to form)."""

    style: object
    line_counts: dict = field(default_factory=dict, compare=False)


@functools.lru_cache(maxsize=8)
def _geometry(stylesheet: str, orientation: str) -> _Geometry:
    """Lay out a two-row sheet with every kind of heading once, and read the boxes."""
    from weasyprint.formatting_structure import boxes

    sample = Sheet(
        name=_SAMPLE_TEXT,
        headings=[Heading(_SAMPLE_TEXT, kind) for kind in ("title", "subtitle", "note")],
        column_widths=[Decimal(100)], row_count=2, orientation=orientation, stylesheet=stylesheet,
        cells=[Cell(0, 0, [_SAMPLE_TEXT], is_label=True), Cell(1, 0, [_SAMPLE_TEXT])])
    page = pdf.layout(sample).pages[0]._page_box  # noqa: SLF001 (pinned WeasyPrint)
    found = list(page.descendants())
    headings = [box for box in found if isinstance(box, boxes.BlockBox) and box.element_tag in ("h1", "p")]
    table = next(box for box in found if isinstance(box, boxes.TableBox))
    cells = [box for box in found if isinstance(box, boxes.TableCellBox)]
    first_row = next(box for box in found if isinstance(box, boxes.TableRowBox))
    line = next(box for box in cells[1].descendants() if isinstance(box, boxes.LineBox))

    def text_style(box) -> _TextStyle:
        return _TextStyle(next(child for child in box.descendants() if isinstance(child, boxes.TextBox)).style)

    last = headings[-1]
    return _Geometry(
        page_top=page.content_box_y(), page_bottom=page.content_box_y() + page.height,
        first_heading_top=headings[0].position_y - page.content_box_y(),
        heading_width=headings[0].width,
        headings={kind: (text_style(box), box.height, box.margin_height() - box.height)
                  for kind, box in zip(("title", "subtitle", "note"), headings)},
        table_edge=first_row.position_y - (last.position_y + last.margin_height()),
        table_width=table.width,
        cell_styles={True: text_style(cells[0]), False: text_style(cells[1])},
        line_height=line.height,
        cell_extra_height=cells[1].border_height() - cells[1].height,
        cell_extra_width=cells[1].border_width() - cells[1].width)
