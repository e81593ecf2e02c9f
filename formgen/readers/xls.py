"""Excel 97-2003 (.xls, and WPS's .et in the same format) → Sheet: one per worksheet.

xlrd with ``formatting_info=True`` keeps the merged ranges; on formgen's own forms saved as
.xls it gives the same merges and values as the .xlsx. xlrd fills its rows up to the
furthest cell, so the coordinates of every cell record and merged range are scanned in the
BIFF stream first, against the bounds.
"""

from __future__ import annotations

import struct
from decimal import Decimal
from pathlib import Path

from . import MAX_CELLS, MAX_COLUMNS, MAX_ROWS, ReadError, ReadSheet, too_many_columns, too_many_rows
from .xlsx import date_text, joined_open_cells, number_text
from ..layout.sheet import Cell, Sheet

# BIFF records that place one cell: (row, column) are their first two 16-bit fields.
_CELL_RECORDS = {0x0006, 0x00FD, 0x0203, 0x027E, 0x0201, 0x0204, 0x0205, 0x00D6, 0x0406, 0x0002, 0x0003, 0x0004}
_MULTIPLE_RECORDS = {0x00BD, 0x00BE}  # MULRK, MULBLANK: row, first column … last column
_MERGED_CELLS = 0x00E5
_FILEPASS = 0x002F


def read(path: Path, kind=None):
    import olefile
    import xlrd

    with olefile.OleFileIO(str(path)) as ole:
        stream = ole.openstream("Workbook" if ole.exists("Workbook") else "Book").read()
    _check_records(path, stream)
    try:
        book = xlrd.open_workbook(file_contents=stream, formatting_info=True, ragged_rows=True)
    except (xlrd.XLRDError, struct.error, ValueError, KeyError, IndexError, AssertionError) as error:
        raise ReadError(f"{path}：不是有效的 XLS 文件，或已损坏（{error}）") from None
    return [_read_sheet(path, book, ws) for ws in book.sheets()]


def _check_records(path: Path, stream: bytes) -> None:
    """Walk the BIFF records: a password, or a cell or merged range beyond the bounds, is refused
    before xlrd lays out any row."""
    position, merged_area = 0, 0
    while position + 4 <= len(stream):
        record, length = struct.unpack_from("<HH", stream, position)
        body = stream[position + 4:position + 4 + length]
        position += 4 + length
        if record == _FILEPASS:
            raise ReadError(f"{path}：文件设有打开密码（已加密），请在 Excel 或 WPS 中取消密码、另存后再导入")
        if record in _CELL_RECORDS and len(body) >= 4:
            _within(path, *struct.unpack_from("<HH", body))
        elif record in _MULTIPLE_RECORDS and len(body) >= 6:
            row, _ = struct.unpack_from("<HH", body)
            _within(path, row, struct.unpack_from("<H", body, len(body) - 2)[0])
        elif record == _MERGED_CELLS and len(body) >= 2:
            count = min(struct.unpack_from("<H", body)[0], (len(body) - 2) // 8)
            for index in range(count):
                first_row, last_row, first_col, last_col = struct.unpack_from("<HHHH", body, 2 + 8 * index)
                _within(path, max(first_row, last_row), max(first_col, last_col))
                merged_area += (abs(last_row - first_row) + 1) * (abs(last_col - first_col) + 1)
                if merged_area > MAX_CELLS:
                    raise too_many_columns(path, "工作表")


def _within(path: Path, row: int, col: int) -> None:
    if row >= MAX_ROWS:
        raise too_many_rows(path, "工作表", row + 1)
    if col >= MAX_COLUMNS:
        raise too_many_columns(path, "工作表")


def _read_sheet(path: Path, book, ws) -> ReadSheet:
    import xlrd
    from openpyxl.utils import get_column_letter

    spans, covered = {}, set()
    for first_row, end_row, first_col, end_col in ws.merged_cells:  # end_* exclusive
        spans[first_row, first_col] = (end_row - first_row, end_col - first_col)
        covered |= {(r, c) for r in range(first_row, end_row) for c in range(first_col, end_col)} - {(first_row, first_col)}
    cells, errors = [], []
    for r in range(ws.nrows):
        for c, cell in enumerate(ws.row(r)):
            if (r, c) in covered:
                continue
            number, text = None, ""
            if cell.ctype == xlrd.XL_CELL_NUMBER:
                number = Decimal(repr(cell.value))
                text = number_text(number)
            elif cell.ctype == xlrd.XL_CELL_DATE:
                text = _date(cell.value, book.datemode)
            elif cell.ctype == xlrd.XL_CELL_TEXT:
                text = cell.value
            elif cell.ctype == xlrd.XL_CELL_BOOLEAN:
                text = "TRUE" if cell.value else "FALSE"
            elif cell.ctype == xlrd.XL_CELL_ERROR:
                errors.append(f"{ws.name}!{get_column_letter(c + 1)}{r + 1}"
                              f"（显示为 {xlrd.error_text_from_code.get(cell.value, '#错误')}）")
            rowspan, colspan = spans.get((r, c), (1, 1))
            cells.append(Cell(r, c, text.split("\n") if text else [], rowspan, colspan, amount=number))
    sheet = Sheet(ws.name, [], [], joined_open_cells(cells, lambda row, col, edge: _ruled(book, ws, row, col, edge)),
                  ws.nrows)
    problems = [f"{path.name} {where}：是出错的公式；以 = 开头的指标值请在单元格中写成文本（前面加英文单引号 '）"
                for where in errors]
    return ReadSheet(sheet, f"{path.name}!{ws.name}",
                     lambda rc, title=ws.name: f"{path.name} {title}!{get_column_letter(rc[1] + 1)}{rc[0] + 1}", problems)


def _ruled(book, ws, row: int, col: int, edge: str) -> bool:
    """Whether the slot has a rule on its "top" or "bottom" edge (slots past a ragged row have none)."""
    if row >= ws.nrows or col >= ws.row_len(row):
        return False
    return bool(getattr(book.xf_list[ws.cell_xf_index(row, col)].border, f"{edge}_line_style"))


def _date(value: float, datemode: int) -> str:
    import xlrd

    try:
        return date_text(xlrd.xldate.xldate_as_datetime(value, datemode))
    except (ValueError, OverflowError, xlrd.xldate.XLDateError):
        return number_text(Decimal(repr(value)))
