"""Sheet → XLSX with openpyxl: the same grid as merged ranges, ready to print on A4.

A 汇总表 is one workbook: an index sheet 目录 (序号, 项目名称 linked to the form's
sheet, 项目资金, 表单), then one sheet a form.
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

from ..layout.sheet import BODY_FONT, MARGIN_MM, Compilation, Sheet
from . import unavailable
from .measure import row_heights_pt

MAX_ROW_PT = 400  # Excel's limit is 409 pt a row
MONEY_FORMAT = "#,##0.00"
WHOLE_MONEY_FORMAT = "#,##0"  # a unit printing whole 元 (金额小数位: 0)
_THIN = Side(style="thin", color="000000")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
_PX_PER_MM = 96 / 25.4
_SLACK_PX = 7  # half a character of 10.5 pt: how much narrower the XLSX's row heights wrap texts
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
    """Excel's column width (characters of the default font, 7 px each plus 5 px padding)."""
    return round((mm * _PX_PER_MM - 5) / 7, 2)


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
        ws.row_dimensions[row].height = heading.size_pt * 2

    top = len(sheet.headings) + 1
    first_row, heights = _physical_rows(sheet, top)
    styles = _grid_styles(ws, float(sheet.font_size_pt))
    for item in sheet.cells:
        row, col = first_row[item.row], 1 + item.col
        bottom = first_row[item.row + item.rowspan] - 1
        if bottom > row or item.colspan > 1:
            _merge(ws, row, col, bottom, col + item.colspan - 1)
        # Every slot of a merged range gets the border, or its edges print blank.
        for r in range(row, bottom + 1):
            for c in range(col, col + item.colspan):
                slot = ws._cells.get((r, c)) or ws.cell(row=r, column=c)
                slot._style = copy(styles[item.align, _number_format(item)])
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
            heights[row] = math.ceil(height / parts)
            row += 1
    first_row.append(row)
    return first_row, heights


def _row_heights(sheet: Sheet) -> list[float]:
    """The PDF's row heights, measured as its page plan was (texts wrapped half a character
    narrower: 宋体 in Excel or WPS may set a little wider than the PDF's face); an estimate
    where there is no Pango to measure with."""
    if unavailable("pdf"):
        return row_heights_pt(sheet)
    from .plan import row_heights_pt as measured

    return measured(sheet, narrower_by=_SLACK_PX)


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
            # indent: inner padding like the PDF's, for texts against a cell's left or right edge
            scratch.alignment = Alignment(horizontal=align, vertical="center", wrap_text=True,
                                          indent=0 if align == "center" else 1)
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


def _page_setup(ws: Worksheet, orientation: str) -> None:
    """A4, one page wide (as long as it needs), centered, with the forms' margins."""
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = orientation
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    inches = MARGIN_MM / 25.4
    ws.page_margins.left = ws.page_margins.right = inches
    ws.page_margins.top = ws.page_margins.bottom = inches
    ws.page_margins.footer = inches / 2


def _print_setup(ws: Worksheet, sheet: Sheet, first_row: list[int], in_compilation: bool) -> None:
    _page_setup(ws, sheet.orientation)
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
