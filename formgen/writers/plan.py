"""The page plan, measured: where each page of a form starts and how tall each row is, for every
format, without laying the form out.

Every format prints the pages and the rows the plan gives (``paginate``): the PDF leaves each
cell as many lines as planned and breaks its pages at the planned rows, the DOCX sets its rows at
least as tall and its lines as far apart, the XLSX sets its row heights from the planned lines.
Laying a form out with WeasyPrint to find its pages costs about 80 ms; the plan needs much less:
the lines of every cell and the rules WeasyPrint breaks a table by.

* Lines: each paragraph is broken into lines by WeasyPrint's own line breaker (``split_first_line``:
  Pango, with the faces, size and width the PDF uses), so a cell wraps here exactly where it wraps
  in the PDF; and counted again as an office suite would set it in the widest common Song face
  (``measure.office_lines``). Each paragraph is planned the larger count: a DOCX or XLSX never
  needs more lines than planned. A paragraph whose last line would hold one character alone
  ("指/标") is wrapped one em narrower where that costs no line (``Cell.narrower``). The geometry
  around the text (padding, borders, margins, line heights, page box) is read once per stylesheet
  and orientation from a two-row calibration layout, so it follows the stylesheet.
* Placing: rows go down the page as in WeasyPrint's table layout. A row is as tall as the tallest
  cell ending in it, a merged cell counted from its first row when that row is on the same page. A
  row that does not fit opens the next page, unless the row before it is a keep row
  (``break-after: avoid``): the page then opens at the first row of that run. A page past the
  header rows starts with them again. ``_OFFICE_SLACK_PX`` at the bottom of each page stays free.
* Long texts: a very tall row (over ``_SPLITTABLE_SHARE`` of a page: long goals) that does not fit
  is cut at the last line that does, two lines of a paragraph at least on either side: the rest of
  its texts opens the next page in a row of its own, under the rows heading them again
  (``Sheet.continued``), so that every format cuts them at the same line and prints their labels
  on both pages.
* Widows: a last page holding a single indicator row (with the 总分 and 评分等级 kept with it) takes
  one more row from the page before, when that fits.

What it does not model it does not guess: a long text below the repeated header (the header, its
labels and its text would all have to be cut together), a row taller than a page, or a run of keep
rows filling a page answers None, and the form is laid out with WeasyPrint instead
(``pdf.paginate``). None of the samples needs that. The PDF writer checks its pages against the
plan either way.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field, replace
from decimal import Decimal

from ..layout.sheet import Cell, Heading, Metrics, Sheet, reads_back
from . import pdf
from .measure import office_lines

_SAMPLE_TEXT = "测"
_PT_PER_PX = 0.75  # CSS px are 1/96 in
# How often the plan of a cut sheet is measured again: labels repeated on a new page can
# make a row taller and move a later break (on every sample the first check agrees).
_ROUNDS = 3
_MAX_CUTS = 30  # long texts cut over pages, at most, before the plan gives up on a form
# How much narrower an office suite's text is than the PDF's, in CSS px: none. Word's cell margins
# are the PDF's padding, and the PDF's rules take 1 px more; an XLSX cell has no indent, and Excel's
# cell margins (2 px or so) are narrower than the PDF's padding (5.7 px), which more than makes up for
# the pixel Excel may drop from a column. Where the measure of ``office_lines`` says a text needs more
# lines than in the PDF, it gets them.
_OFFICE_INSET_PX = 0.0
# Room left free at the bottom of every page, in CSS px, for what Word and LibreOffice add to a
# DOCX page that the PDF does not have: the one-point paragraphs joining its tables (one above the
# indicator header, one opening each later page), and their rules printed twice.
_OFFICE_SLACK_PX = 4.0
# A row taller than this share of a page may be cut over two (the share ``measure.splittable_rows``
# estimates without a font).
_SPLITTABLE_SHARE = 0.4
# CSS's default orphans and widows: a paragraph cut over two pages keeps two lines on each.
_ORPHANS = _WIDOWS = 2


def paginate(sheet: Sheet, keep_layout: bool = True) -> Sheet:
    """The sheet as every format prints it (``plan``), or laid out by WeasyPrint where the measure
    cannot tell (see the module's docstring)."""
    planned = plan(sheet)
    if planned is None:
        return pdf.paginate(sheet, keep_layout)
    return planned


def plan(sheet: Sheet) -> Sheet | None:
    """The sheet as WeasyPrint will print it, and every other format with it: its long texts cut
    where pages end, cut into its pages (``Sheet.split_at``: labels repeated on each), each cell's
    planned lines and the measured metrics set; or None when the measure cannot tell."""
    geometry = _geometry(sheet.stylesheet, sheet.orientation)
    for _ in range(_MAX_CUTS):
        placed = _place_rows(sheet, geometry)
        if not isinstance(placed, _Cut):
            break
        sheet = sheet.continued(placed.row, placed.parts)
    else:
        return None
    pages = _settled(sheet, geometry, placed)
    if pages is None:
        return None
    starts, count = _without_widow(sheet, geometry, pages)
    cut = sheet.split_at(starts, count)
    measured = _measured(cut, geometry)
    return replace(cut, metrics=geometry.metrics, cells=[
        replace(c, lines=sum(measured[id(c)].planned), printed_lines=sum(measured[id(c)].printed),
                narrower=measured[id(c)].narrower * _PT_PER_PX) for c in cut.cells])


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
    font_px: float  # the size of a cell's text
    metrics: Metrics  # the same, in points, for the other formats
    measured: dict = field(default_factory=dict, compare=False)  # a cell's lines, by its texts and width

    def cell_height(self, lines: int) -> float:
        return lines * self.line_height + self.cell_extra_height


@dataclass(frozen=True)
class _Cut:
    """A row of long texts to cut where the page ends: by column, each text's paragraphs before the
    cut and after it."""

    row: int
    parts: dict


def _settled(sheet: Sheet, geometry: _Geometry, placed) -> tuple[tuple[int, ...], int] | None:
    """The pages of ``sheet`` as WeasyPrint will print it once it is cut there (its labels repeated
    on each page): placed again until they agree, or None."""
    pages = placed
    for _ in range(_ROUNDS):
        if pages is None or isinstance(pages, _Cut):
            return None
        again = _place_rows(sheet.split_at(pages[0]), geometry)
        if again == pages:
            return pages
        pages = again
    return None


def _without_widow(sheet: Sheet, geometry: _Geometry, pages: tuple[tuple[int, ...], int]) -> tuple[tuple[int, ...], int]:
    """The pages, the last one opened a row earlier where it would hold a single row (or a single run
    of keep rows: the last indicator row with 总分 and 评分等级) and the row before can join it."""
    starts, count = pages
    if not starts or count != len(starts) + 1:
        return pages
    if any(row not in sheet.keep_rows for row in range(starts[-1], sheet.row_count - 1)):
        return pages  # two rows at least that may part: no widow
    start = starts[-1] - 1
    while start - 1 in sheet.keep_rows:
        start -= 1
    earlier = starts[-2] if len(starts) > 1 else 0
    if start <= earlier or (sheet.repeat_rows and start <= max(sheet.repeat_rows)):
        return pages
    moved = (*starts[:-1], start)
    return (moved, count) if _place_rows(sheet.split_at(moved), geometry, forced=set(moved)) == (moved, count) else pages


def _place_rows(sheet: Sheet, geometry: _Geometry, forced: set[int] = frozenset()):
    """The page starts and the page count of ``sheet`` as it is (cut or not), ``forced`` rows opening
    pages wherever they fall; or the ``_Cut`` of a row of long texts to make first; or None (see the
    module's docstring)."""
    lines = planned_lines(sheet, geometry)
    heights = {key: geometry.cell_height(sum(counts)) for key, counts in lines.items()}
    starting: list[list[Cell]] = [[] for _ in range(sheet.row_count)]
    ending: list[list[Cell]] = [[] for _ in range(sheet.row_count)]
    for cell in sheet.cells:
        starting[cell.row].append(cell)
        ending[cell.row + cell.rowspan - 1].append(cell)
    tall = _SPLITTABLE_SHARE * (geometry.page_bottom - geometry.page_top)
    splittable = {row for row, h in enumerate(sheet.row_heights(lambda c: heights[id(c)])) if h > tall}
    header = sheet.repeat_rows
    bottom = geometry.page_bottom - _OFFICE_SLACK_PX - geometry.table_edge

    def height(row: int, tops: dict[int, float]) -> float:
        """The row's height on a page where ``tops`` holds the tops of the rows placed so far."""
        top = tops[row]
        return max([top] + [tops[c.row] + heights[id(c)] for c in ending[row] if c.row in tops]) - top

    starts: list[int] = []
    tops: dict[int, float] = {}
    y = geometry.page_top + geometry.first_heading_top + _headings_height(sheet, geometry) + geometry.table_edge
    page_start, row = 0, 0
    while row < sheet.row_count:
        tops[row] = y
        row_bottom = y + height(row, tops)
        content_bottom = max([row_bottom] + [y + heights[id(c)] for c in starting[row]])
        opens = row in forced and row != page_start
        if not opens and content_bottom <= bottom * (1 + 1e-9):  # WeasyPrint's own tolerance
            y, row = row_bottom, row + 1
            continue
        start = row
        if not opens:
            if row in splittable and not (header and row > max(header)):
                cut = _cut(sheet, row, starting[row], ending[row], tops, lines, geometry, bottom)
                if cut is not None:
                    return cut
            if row == page_start:
                return None  # taller than a page, and not a row of long texts to cut
            while start - 1 in sheet.keep_rows:
                start -= 1
            if header and min(header) <= start <= max(header):
                start = max(header) + 1  # the whole header moves: the page opens below it, as it repeats
            if start <= page_start:
                return None
        starts.append(start)
        page_start, row, tops = start, start, {}
        y = geometry.page_top + geometry.table_edge
        if header and start > max(header):  # the header rows again at the top
            for repeated in header:
                tops[repeated] = y
                y += height(repeated, tops)
    return tuple(starts), len(starts) + 1


def _cut(sheet: Sheet, row: int, cells: list[Cell], ending: list[Cell], tops: dict[int, float],
         lines: dict[int, list[int]], geometry: _Geometry, bottom: float) -> _Cut | None:
    """Where to cut the long texts of ``row``, whose top is at ``tops[row]``, so that the row ends
    above ``bottom``: each text that does not fit keeps the lines that do (``_cut_text``). None when
    none of them can be cut there (too little room), or the row is not one this cut models (a
    merged cell starts in it, a label beside the texts does not fit, a merged cell ending in it
    runs past the page)."""
    top = tops[row]
    room = int((bottom * (1 + 1e-9) - top - geometry.cell_extra_height) / geometry.line_height)
    if any(c.rowspan > 1 for c in cells) or any(c.row != row and (c.row not in tops or tops[c.row] + geometry.cell_height(
            sum(lines[id(c)])) > bottom) for c in ending):
        return None
    columns = _column_widths(sheet, geometry)
    parts = {}
    for cell in cells:
        if sum(lines[id(cell)]) <= room:
            continue
        if cell.is_label:
            return None
        width = sum(columns[cell.col : cell.col + cell.colspan]) - geometry.cell_extra_width
        cut = _cut_text(cell.paragraphs, lines[id(cell)], room, width, geometry)
        if cut is None:
            return None
        parts[cell.col] = cut
    return _Cut(row, parts) if parts else None


def _cut_text(paragraphs: list[str], planned: list[int], room: int, width: float,
              geometry: _Geometry) -> tuple[list[str], list[str]] | None:
    """The latest cut of a text (its ``paragraphs``, each ``planned`` lines) that leaves at most
    ``room`` lines before it: between paragraphs, or after a line of the PDF's inside one, two lines
    of that paragraph at least on either side; and that reads back as it was (``sheet.reads_back``).
    As (paragraphs before the cut, paragraphs after), or None."""
    style = geometry.cell_styles[False]
    best, used = None, 0
    for index, paragraph in enumerate(paragraphs):
        head = paragraphs[:index]
        if index and reads_back(head, cut_inside_paragraph=False):
            best = (head, paragraphs[index:])
        starts = _line_starts(paragraph, width, style)
        for k in range(min(room - used, len(starts) - _WIDOWS), _ORPHANS - 1, -1):  # the latest line first
            piece = paragraph[: starts[k]]
            if used + max(k, _office_lines(piece, width, geometry)) <= room and reads_back(
                    head + [piece], cut_inside_paragraph=True):
                best = (head + [piece], [paragraph[starts[k]:], *paragraphs[index + 1:]])
                break
        used += planned[index]
        if used > room:
            break
    return best


def planned_lines(sheet: Sheet, geometry: _Geometry | None = None) -> dict[int, list[int]]:
    """The lines each paragraph of each cell (by ``id``) is planned: the PDF's or an office suite's,
    whichever is more. An empty cell has one empty paragraph, as in Word and Excel."""
    geometry = geometry or _geometry(sheet.stylesheet, sheet.orientation)
    return {key: measured.planned for key, measured in _measured(sheet, geometry).items()}


def pdf_lines(sheet: Sheet) -> dict[int, list[int]]:
    """The lines each paragraph of each cell (by ``id``) wraps to in the PDF, as WeasyPrint breaks them."""
    geometry = _geometry(sheet.stylesheet, sheet.orientation)
    return {key: measured.printed for key, measured in _measured(sheet, geometry).items()}


@dataclass(frozen=True)
class _Lines:
    """A cell's text as the plan measured it, paragraph by paragraph."""

    printed: list[int]  # the PDF's lines
    planned: list[int]  # the lines every format leaves it: the PDF's, or an office suite's if more
    narrower: float  # how much narrower (px) the PDF wraps it, not to leave a last character alone


def _measured(sheet: Sheet, geometry: _Geometry) -> dict[int, _Lines]:
    """Each cell's lines (by ``id``), measured once for a text in a width (forms repeat their labels)."""
    columns = _column_widths(sheet, geometry)
    known = geometry.measured
    measured = {}
    for cell in sheet.cells:
        width = sum(columns[cell.col : cell.col + cell.colspan]) - geometry.cell_extra_width
        key = (*cell.paragraphs, cell.is_label, width)
        if key not in known:
            if len(known) > 50_000:  # a long build of varied texts: start again
                known.clear()
            known[key] = _measure(cell.paragraphs, width, geometry.cell_styles[cell.is_label], geometry)
        measured[id(cell)] = known[key]
    return measured


def _measure(paragraphs: list[str], width: float, style, geometry: _Geometry) -> _Lines:
    """A cell's lines in a box ``width`` px wide. A paragraph whose last line would hold one character
    alone ("指/标") is wrapped one em narrower, where that leaves every paragraph of the cell as many
    lines and none with a character alone."""
    starts = [_line_starts(p, width, style) for p in paragraphs]
    narrower = 0.0
    if any(_alone(p, s) for p, s in zip(paragraphs, starts)):
        closer = [_line_starts(p, width - geometry.font_px, style) for p in paragraphs]
        if all(len(a) == len(b) and not _alone(p, b) for p, a, b in zip(paragraphs, starts, closer)):
            starts, narrower = closer, geometry.font_px
    printed = [len(s) if p else 0 for p, s in zip(paragraphs, starts)] or [1]  # an empty cell: a line (pdf.py)
    planned = [max(lines, _office_lines(p, width, geometry)) for p, lines in zip(paragraphs or [""], printed)]
    return _Lines(printed, planned, narrower)


def _alone(paragraph: str, starts: list[int]) -> bool:
    """Whether the last of two lines or more holds one character alone."""
    return len(starts) > 1 and len(paragraph.rstrip()) - starts[-1] == 1


def _column_widths(sheet: Sheet, geometry: _Geometry) -> list[float]:
    return [float(w) / 100 * geometry.table_width for w in sheet.column_widths]


def _office_lines(text: str, width: float, geometry: _Geometry) -> int:
    return office_lines(text, width - _OFFICE_INSET_PX, geometry.font_px)


def _headings_height(sheet: Sheet, geometry: _Geometry) -> float:
    """The height of the lines above the grid (title, year, unit), margins included."""
    total = 0.0
    for heading in sheet.headings:
        style, line_height, margins = geometry.headings[heading.kind]
        lines = max(_line_count(heading.text, geometry.heading_width, style),
                    office_lines(heading.text, geometry.heading_width, style.style["font_size"]))
        total += lines * line_height + margins
    return total


def _line_count(text: str, width: float, style) -> int:
    """How many lines WeasyPrint breaks ``text`` into in a box ``width`` px wide. An empty paragraph
    has none."""
    return len(_line_starts(text, width, style)) if text else 0


def _line_starts(text: str, width: float, style) -> list[int]:
    """Where each line starts (a character offset) when WeasyPrint breaks ``text`` (as the PDF prints
    it: ``pdf.printed``) in a box ``width`` px wide: its own line breaker, line after line, as its
    inline layout calls it."""
    key = (text, width)
    if key not in style.line_starts:
        if len(style.line_starts) > 50_000:  # a long build of varied texts: start again
            style.line_starts.clear()
        style.line_starts[key] = _break_lines(text, width, style.style)
    return style.line_starts[key]


def _break_lines(text: str, width: float, style) -> list[int]:
    from weasyprint.text.line_break import split_first_line

    printed = pdf.printed(text)
    rest, offset, starts = printed.encode(), 0, [0]
    while rest:
        resume = split_first_line(rest.decode(), style, None, width, 0, True)[2]
        if resume is None:
            break
        offset += resume
        rest = rest[resume:]
        starts.append(offset)
    encoded = printed.encode()  # back to character offsets in the text itself, without pdf.BREAK
    return [len(encoded[:start].decode().replace(pdf.BREAK, "")) for start in starts]


@dataclass(frozen=True)
class _TextStyle:
    """A text's computed style in WeasyPrint, with the line breaks measured in it so far (labels
    and short values repeat from form to form)."""

    style: object
    line_starts: dict = field(default_factory=dict, compare=False)


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

    last, cell = headings[-1], cells[1]
    kinds = ("title", "subtitle", "note")
    extra_height = cell.border_height() - cell.height
    return _Geometry(
        page_top=page.content_box_y(), page_bottom=page.content_box_y() + page.height,
        first_heading_top=headings[0].position_y - page.content_box_y(),
        heading_width=headings[0].width,
        headings={kind: (text_style(box), box.height, box.margin_height() - box.height)
                  for kind, box in zip(kinds, headings)},
        table_edge=first_row.position_y - (last.position_y + last.margin_height()),
        table_width=table.width,
        cell_styles={True: text_style(cells[0]), False: text_style(cell)},
        line_height=line.height,
        cell_extra_height=extra_height,
        cell_extra_width=cell.border_width() - cell.width,
        font_px=text_style(cell).style["font_size"],
        metrics=Metrics(
            line=round(line.height * _PT_PER_PX, 3),
            padding=(round(cell.padding_top * _PT_PER_PX, 3), round(cell.padding_left * _PT_PER_PX, 3)),
            rule=round((extra_height - cell.padding_top - cell.padding_bottom) * _PT_PER_PX, 3),
            headings=tuple((kind, round(box.height * _PT_PER_PX, 3), round((box.margin_height() - box.height) * _PT_PER_PX, 3))
                           for kind, box in zip(kinds, headings))))
