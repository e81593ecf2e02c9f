"""XLSX → Sheet: one per worksheet, merged ranges as spans, numbers kept exact as amounts."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from . import ReadSheet
from ..layout.sheet import Cell, Sheet


def read(path: Path):
    import openpyxl
    from openpyxl.utils import get_column_letter


    workbook = openpyxl.load_workbook(path, data_only=True)
    found = []
    for ws in workbook.worksheets:
        spans, covered = {}, set()
        for merged in ws.merged_cells.ranges:
            spans[merged.min_row, merged.min_col] = (merged.max_row - merged.min_row + 1,
                                                    merged.max_col - merged.min_col + 1)
            covered |= {(r, c) for r in range(merged.min_row, merged.max_row + 1)
                        for c in range(merged.min_col, merged.max_col + 1)} - {(merged.min_row, merged.min_col)}
        cells = []
        for row in ws.iter_rows():
            for cell in row:
                if (cell.row, cell.column) in covered:
                    continue
                rowspan, colspan = spans.get((cell.row, cell.column), (1, 1))
                value, number = cell.value, None
                if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
                    number = Decimal(str(value))
                    value = _number_text(number)
                text = "" if value is None else str(value)
                cells.append(Cell(cell.row - 1, cell.column - 1, text.split("\n") if text else [], rowspan, colspan,
                                  amount=number))
        sheet = Sheet(ws.title, [], [], cells, max((c.row for c in cells), default=-1) + 1)
        found.append(ReadSheet(sheet, f"{path.name}!{ws.title}",
                               lambda rc, title=ws.title: f"{title}!{get_column_letter(rc[1] + 1)}{rc[0] + 1}"))
    return found


def _number_text(number: Decimal) -> str:
    return str(number.to_integral()) if number == number.to_integral() else str(number)
