"""Sheet → XLSX with openpyxl: the same grid as merged ranges, ready to print on A4.

A 汇总表 is one workbook: an index sheet 目录 (序号, 项目名称 linked to the form's
sheet, 项目资金, 表单), then one sheet a form.

Excel sets no line pitch: a wrapped line is as tall as the face it draws 宋体 in. So each row is
made tall enough for its planned lines (``Cell.lines``) in the tallest common Song face, never
less than the plan's row; the pages break at the plan's rows; and the print scale is set from
the plan, small enough that every page's rows fit its height and the columns its width (the
scale a suite works out for ``fitToWidth`` depends on the workbook's font, and Excel's help says
it ignores manual page breaks under "Fit to"). Column widths are written as ECMA-376 §18.3.1.13
defines them, so that Excel draws each column the planned number of pixels. A sheet the plan did
not measure (no Pango) is printed one page wide, its pages left to the suite.
"""

from __future__ import annotations

import math
import re
from copy import copy
from dataclasses import replace

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.cell.cell import MergedCell
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.merge import MergedCellRange
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.worksheet import Worksheet

from ..layout.sheet import BODY_FONT, MARGIN_MM, PAGE_SIZES_MM, Compilation, Sheet
from .measure import PT_PER_MM, row_heights_pt

MAX_ROW_PT = 400  # Excel's limit is 409 pt a row
MONEY_FORMAT = "#,##0.00"
WHOLE_MONEY_FORMAT = "#,##0"  # a unit printing whole 元 (金额小数位: 0)
_THIN = Side(style="thin", color="000000")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
_PX_PER_MM = 96 / 25.4
_DIGIT_PX = 7  # the widest digit of the workbook's font (openpyxl's Calibri 11) at 96 dpi: Excel's width unit
# The same digit unrounded, 0.507 em of 11 pt: LibreOffice's width unit (Carlito as Calibri), and
# Excel's when it prints at a printer's resolution (Microsoft KB Q163621, "Column Width Not the
# Same When Printed"): columns print about 6 % wider than on screen. The print scale fits that width.
_DIGIT_PT_UNROUNDED = 5.576
# A wrapped line in Excel or LibreOffice is as tall as its face's ascent and descent: 1.437 em in Noto
# Serif CJK, the tallest common Song face (LibreOffice needs 602 pt for 40 lines of 10.5 pt), 1.05 em in
# AR PL UMing, about 1.3 em in SimSun; and a cell keeps about a point above and below its text.
_LINE_EM = 1.44
_CELL_PADDING_PT = 2.0
_PX_PT = 0.75  # Excel draws a row a whole number of pixels tall
_FORMULA_STARTS = set("=+-@")  # a text beginning so would become a formula when re-edited in Excel or WPS


def sheet_title(name: str, taken: set[str] = frozenset()) -> str:
    """A valid worksheet name: no ``[]:*?/\\``, at most 31 characters, not one of ``taken``
    (compared as Excel does, ignoring case); a repeated name gets a ``(2)``, ``(3)``… suffix."""
    base = _SHEET_NAME_FORBIDDEN.sub("_", name).strip("' ") or "表单"
    title, number = base[:31], 2
    lowered = {t.lower() for t in taken}
    while title.lower() in lowered:
        suffix = f"({number})"
        title, number = base[: 31 - len(suffix)] + suffix, number + 1
    return title


def column_width_units(mm: float) -> float:
    """The ``width`` a column ``mm`` wide is written with: ECMA-376 §18.3.1.13's width, which counts the
    5 px of padding Excel adds to the characters (``(chars × 7 + 5) / 7``), that is its pixels over the
    digit's 7, in 1/256 of a character. Excel draws it a whole number of pixels wide, none more than planned."""
    pixels = math.floor(mm * _PX_PER_MM)
    return math.floor(pixels / _DIGIT_PX * 256) / 256


def write(sheet: Sheet, path) -> None:
    workbook = Workbook()
    workbook.active.title = sheet_title(sheet.name)
    _set_properties(workbook, sheet.name, sheet.author)
    _fill_worksheet(workbook.active, sheet)
    workbook.save(path)


def _set_properties(workbook: Workbook, title: str, author: str) -> None:
    """Say what the workbook is: its title and unit, not openpyxl's defaults."""
    workbook.properties.title, workbook.properties.creator = title, author
    workbook.properties.lastModifiedBy = author


_INDEX_COLUMNS = (("序号", 8), ("项目名称", 48), ("项目资金（元）", 20), ("表单", 12))


def write_compilation(compilation: Compilation, path) -> None:
    workbook = Workbook()
    _set_properties(workbook, compilation.title, compilation.members[0].sheet.author)
    index = workbook.active
    index.title = "目录"
    taken = {index.title}
    index.merge_cells("A1:D1")
    set_text(index["A1"], compilation.title)
    index["A1"].font = Font(name=BODY_FONT, size=16, bold=True)
    index["A1"].alignment = Alignment(horizontal="center")
    index.row_dimensions[1].height = 32
    for column, (label, width) in enumerate(_INDEX_COLUMNS, 1):
        cell = index.cell(row=2, column=column, value=label)
        cell.font, cell.border = Font(name=BODY_FONT, bold=True), _BORDER
        cell.alignment = Alignment(horizontal="center")
        index.column_dimensions[cell.column_letter].width = width
    for number, member in enumerate(compilation.members, 1):
        name = sheet_title(member.sheet.name, taken)
        taken.add(name)
        _fill_worksheet(workbook.create_sheet(name), member.sheet, in_compilation=True)
        row = 2 + number
        index.cell(row=row, column=1, value=number)
        link = index.cell(row=row, column=2)
        set_text(link, member.sheet.name)
        link.hyperlink = Hyperlink(ref=link.coordinate, location=f"'{name}'!A1")  # within the workbook
        link.font = Font(name=BODY_FONT, color="0563C1", underline="single")
        amount = index.cell(row=row, column=3, value=member.amount)
        amount.number_format = MONEY_FORMAT
        set_text(index.cell(row=row, column=4), member.kind)
        for column in range(1, 5):
            index.cell(row=row, column=column).border = _BORDER
            if column != 2:
                index.cell(row=row, column=column).font = Font(name=BODY_FONT)
    index.print_title_rows = "2:2"
    _page_setup(index, "portrait")  # one page wide, the title whole: not cut over two sheets of paper
    workbook.save(path)


def _fill_worksheet(ws: Worksheet, sheet: Sheet, in_compilation: bool = False) -> None:
    """Write one form into a worksheet: headings, merged grid, row heights, print setup."""
    columns = sheet.column_count
    for index, mm in enumerate(sheet.column_widths_mm(), start=1):
        ws.column_dimensions[get_column_letter(index)].width = column_width_units(mm)

    for row, heading in enumerate(sheet.headings, start=1):
        cell = ws.cell(row=row, column=1)
        set_text(cell, heading.text)
        cell.font = Font(name=BODY_FONT, size=heading.size_pt, bold=heading.bold)
        cell.alignment = Alignment(horizontal=heading.align, vertical="center")
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=columns)
        line, margins = sheet.metrics.heading(heading.kind)
        ws.row_dimensions[row].height = _whole_pixels(max(line, heading.size_pt * _LINE_EM) + margins)

    top = len(sheet.headings) + 1
    first_row, heights = _physical_rows(sheet, top)
    styles = _grid_styles(ws, float(sheet.font_size_pt))
    header_end = first_row[max(sheet.repeat_rows) + 1] if sheet.repeat_rows else None
    for item in sheet.cells:
        row, col = first_row[item.row], 1 + item.col
        bottom = first_row[item.row + item.rowspan] - 1
        style = styles[item.align, _number_format(item)]
        if header_end is not None and row < header_end <= bottom:
            # A print title repeats whole rows: a merged cell running on below the header would be
            # repeated cut through, its text sliced. The header holds a blank part of it, and the
            # text stands below, the two parts joined without a rule (as DOCX's repeated header).
            _fill_range(ws, row, col, header_end - 1, item.colspan, style, open_bottom=True)
            row = header_end
            _fill_range(ws, row, col, bottom, item.colspan, style, open_top=True)
        else:
            _fill_range(ws, row, col, bottom, item.colspan, style)
        target = ws.cell(row=row, column=col)
        if item.amount is not None:
            target.value = item.amount
        elif item.paragraphs:
            set_text(target, item.text)
            if item.text[:1] in _FORMULA_STARTS:  # kept as text when someone edits the cell again
                target._style = copy(target._style)
                target._style.quotePrefix = 1

    for row, height in heights.items():
        ws.row_dimensions[row].height = height
    _print_setup(ws, sheet, first_row, in_compilation)


def _fill_range(ws: Worksheet, top: int, left: int, bottom: int, colspan: int, style, open_top: bool = False,
                open_bottom: bool = False) -> None:
    """Merge a cell's slots (when it spans several) and give every slot the cell's style: the
    border on every slot, or its edges print blank; none above or below where the cell is open."""
    right = left + colspan - 1
    if bottom > top or colspan > 1:
        _merge(ws, top, left, bottom, right)
    for r in range(top, bottom + 1):
        for c in range(left, right + 1):
            slot = ws._cells.get((r, c)) or ws.cell(row=r, column=c)
            slot._style = copy(style)
            if (open_top and r == top) or (open_bottom and r == bottom):
                border = slot.border
                slot.border = Border(left=border.left, right=border.right,
                                     top=Side() if open_top and r == top else border.top,
                                     bottom=Side() if open_bottom and r == bottom else border.bottom)


def _physical_rows(sheet: Sheet, top: int) -> tuple[list[int], dict[int, float]]:
    """The worksheet row each grid row starts on (and, last, the row after the grid), and each
    worksheet row's height. Excel and WPS hold a row at most 409 pt tall and cut the rest when
    printing: a grid row that needs more is spread over several worksheet rows, its cells merged
    across them."""
    first_row, heights, row = [], {}, top
    for height in _row_heights(sheet):
        first_row.append(row)
        parts = math.ceil(height / MAX_ROW_PT)
        for _ in range(parts):
            heights[row] = _whole_pixels(height / parts)
            row += 1
    first_row.append(row)
    return first_row, heights


def _row_heights(sheet: Sheet) -> list[float]:
    """Each grid row's height in points: every cell as tall as its planned lines need in Excel's
    tallest common face, and never less than the plan's; an estimate where nothing planned the lines
    (no Pango)."""
    if not _planned(sheet):
        return row_heights_pt(sheet)
    metrics, line = sheet.metrics, float(sheet.font_size_pt) * _LINE_EM
    return sheet.row_heights(lambda c: max(metrics.cell_height(c.lines), c.lines * line + 2 * _CELL_PADDING_PT))


def _planned(sheet: Sheet) -> bool:
    """Whether the page plan measured the sheet's lines (not where there is no Pango, nor for a form
    WeasyPrint laid out instead)."""
    return all(cell.lines is not None for cell in sheet.cells)


def _whole_pixels(pt: float) -> float:
    """A height rounded up to Excel's whole pixels."""
    return math.ceil(round(pt / _PX_PT, 6)) * _PX_PT


def _scale(ws: Worksheet, sheet: Sheet, first_row: list[int]) -> int:
    """The print scale, in per cent, at which every planned page's rows (headings, the repeated
    header) fit the printable height and the columns its width: at most 100."""
    width_mm, height_mm = PAGE_SIZES_MM[sheet.orientation]
    printable = (height_mm - 2 * MARGIN_MM) * PT_PER_MM
    table_pt = sum(ws.column_dimensions[get_column_letter(c)].width * _DIGIT_PT_UNROUNDED
                   for c in range(1, sheet.column_count + 1))
    header = sheet.repeat_rows
    titles = sum(_height(ws, r) for r in range(first_row[min(header)], first_row[max(header) + 1])) if header else 0
    starts = [0, *sheet.page_starts, sheet.row_count]
    tallest = 0.0
    for number, (start, end) in enumerate(zip(starts, starts[1:])):
        top = 1 if number == 0 else first_row[start]
        repeated = titles if number and header and start > max(header) else 0
        tallest = max(tallest, repeated + sum(_height(ws, r) for r in range(top, first_row[end])))
    fitting = min(1.0, printable / tallest, (width_mm - 2 * MARGIN_MM) * PT_PER_MM / table_pt)
    return max(10, math.floor(fitting * 100))


def _height(ws: Worksheet, row: int) -> float:
    return ws.row_dimensions[row].height or 15


def _grid_styles(ws: Worksheet, size: float) -> dict:
    """The style of a grid slot for each (alignment, number format), registered once per sheet.

    openpyxl hashes every style object each time one is assigned to a cell, which made
    styling the slots most of an XLSX's time; copying a finished cell's style ids is cheap.
    """
    font = Font(name=BODY_FONT, size=size)
    styles = {}
    scratch = ws.cell(row=ws.max_row + 1, column=1)
    for align in ("left", "center", "right"):
        for number_format in ("General", MONEY_FORMAT, WHOLE_MONEY_FORMAT):
            scratch.border, scratch.font = _BORDER, font
            # No indent: Excel's (about 10 px) would leave a text narrower than the PDF's, which the
            # plan's lines are counted for (Excel's own cell margins are narrower than the PDF's padding).
            scratch.alignment = Alignment(horizontal=align, vertical="center", wrap_text=True)
            scratch.number_format = number_format
            styles[align, number_format] = copy(scratch._style)
    del ws._cells[scratch.row, scratch.column]
    return styles


def _number_format(cell) -> str:
    """The format that shows a number as the layout printed it: with 角分, or in whole 元."""
    if cell.amount is None:
        return "General"
    return MONEY_FORMAT if "." in cell.text else WHOLE_MONEY_FORMAT


def _merge(ws: Worksheet, top: int, left: int, bottom: int, right: int) -> None:
    """Merge a range as ``ws.merge_cells`` does, without its re-formatting of the edges (every
    slot gets its full style from the caller, borders included)."""
    ws.merged_cells.add(MergedCellRange(ws, f"{get_column_letter(left)}{top}:{get_column_letter(right)}{bottom}"))
    for r in range(top, bottom + 1):
        for c in range(left, right + 1):
            if (r, c) != (top, left):
                ws._cells[r, c] = MergedCell(ws, row=r, column=c)


def set_text(cell, text: str) -> None:
    # openpyxl turns a string starting with "=" into a formula; a form's text never is one.
    cell.value = text
    cell.data_type = "s"


def _page_setup(ws: Worksheet, orientation: str, fit_to_width: bool = True) -> None:
    """A4, centered, with the forms' margins; one page wide (as long as it needs) where the sheet is
    not scaled from a plan."""
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = orientation
    if fit_to_width:
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    inches = MARGIN_MM / 25.4
    ws.page_margins.left = ws.page_margins.right = inches
    ws.page_margins.top = ws.page_margins.bottom = inches
    ws.page_margins.footer = inches / 2


def _print_setup(ws: Worksheet, sheet: Sheet, first_row: list[int], in_compilation: bool) -> None:
    planned = _planned(sheet)
    _page_setup(ws, sheet.orientation, fit_to_width=not planned)  # unplanned: the suite breaks pages itself
    if planned:
        ws.page_setup.scale = _scale(ws, sheet, first_row)
    pages = "&N"  # Excel's page fields
    if in_compilation:  # a 汇总表 printed whole numbers its pages through all its sheets, and &N counts them all:
        ws.page_setup.firstPageNumber, ws.page_setup.useFirstPageNumber = 1, True  # each form from 1
        pages = str(sheet.page_count) if sheet.page_count else pages  # its own count, as planned
    ws.oddFooter.center.text = _footer(sheet, pages)
    ws.oddFooter.center.size = _FOOTER_SIZE
    if sheet.repeat_rows:
        ws.print_title_rows = f"{first_row[min(sheet.repeat_rows)]}:{first_row[max(sheet.repeat_rows) + 1] - 1}"
    for start in sheet.page_starts:  # the planned pages: a break after the row before each start
        ws.row_breaks.append(Break(id=first_row[start] - 1))
    ws.sheet_view.showGridLines = False


# Excel's header and footer codes: "&" starts one (&P the page, &N the pages, &D the date, &T the
# time, &F the file, &A the sheet, &"font", &12 a size, &L/&C/&R a section, &B bold…), "&&" is an
# ampersand. Excel reads at most 255 characters of a header or footer, its codes included, and
# repairs a file with more.
_FOOTER_SIZE = 9
_MAX_FOOTER = 255 - len(f"&C&{_FOOTER_SIZE} ")  # less the section and size codes openpyxl writes first


def _footer(sheet: Sheet, pages: str) -> str:
    """The running footer in Excel's codes: every ``&`` of its words doubled, so that a name such
    as ``R&D研发&P测试`` prints as written and not as the date and the page number, the page fields
    ``&P`` and ``pages`` in their places, the name shortened with … when the whole would not fit."""
    def footer(name: str) -> str:
        before, middle, after = (part.replace("&", "&&") for part in replace(sheet, name=name).footer_parts)
        return f"{before}&P{middle}{pages}{after}"

    text, keep = footer(sheet.name), len(sheet.name)
    while len(text) > _MAX_FOOTER and keep:
        keep -= 1
        text = footer(sheet.name[:keep] + "…")
    return text
