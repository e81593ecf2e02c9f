"""XLSX → Sheet: one per worksheet, merged ranges as spans, numbers kept exact as amounts."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from pathlib import Path

from . import MAX_ROWS, ReadSheet, too_many_rows
from ..layout.sheet import Cell, Sheet


def read(path: Path):
    import openpyxl
    from openpyxl.utils import get_column_letter

    workbook = openpyxl.load_workbook(path, data_only=True)  # the values last computed, not formulas
    formulas = openpyxl.load_workbook(path, read_only=True)  # to tell a formula never computed
    found = []
    for ws in workbook.worksheets:
        if ws.max_row > MAX_ROWS:
            raise too_many_rows(path, ws.title, ws.max_row)
        uncomputed, errors, formula_cells = [], [], _formula_cells(formulas[ws.title])
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
                if value is None and (cell.row, cell.column) in formula_cells:
                    uncomputed.append(f"{ws.title}!{cell.coordinate}")
                if cell.data_type == "e":  # Excel read a typed =100(%) as a formula and shows an error
                    errors.append(f"{ws.title}!{cell.coordinate}（显示为 {value}）")
                    value = None
                if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
                    number = Decimal(str(value))
                    value = _number_text(number)
                text = "" if value is None else str(value)
                cells.append(Cell(cell.row - 1, cell.column - 1, text.split("\n") if text else [], rowspan, colspan,
                                  amount=number))
        cells = joined_open_cells(ws, cells)
        sheet = Sheet(ws.title, [], [], cells, max((c.row for c in cells), default=-1) + 1)
        problems = [f"{path.name} {where}：是公式但没有计算结果，请在 Excel 或 WPS 中打开、保存后再导入"
                    for where in uncomputed]
        problems += [f"{path.name} {where}：是出错的公式；以 = 开头的指标值请在单元格中写成文本（前面加英文单引号 '）"
                     for where in errors]
        found.append(ReadSheet(sheet, f"{path.name}!{ws.title}",
                               lambda rc, title=ws.title: f"{path.name} {title}!{get_column_letter(rc[1] + 1)}{rc[0] + 1}", problems))
    formulas.close()
    return found


def joined_open_cells(ws, cells: list[Cell]) -> list[Cell]:
    """The cells as they read on paper: a blank cell with no rule below it over a cell as wide with
    no rule above it is one cell, the text the lower one's. formgen writes a label that runs on below
    the header rows Excel repeats on each page so (``writers.xlsx``). Rows and columns from 0."""
    at = {(cell.row, cell.col): cell for cell in cells}
    for cell in sorted(cells, key=lambda c: (c.col, c.row)):
        if cell.paragraphs or cell.amount is not None or (cell.row, cell.col) not in at:
            continue
        below = at.get((cell.row + cell.rowspan, cell.col))
        if below is None or below.colspan != cell.colspan:
            continue
        edge = ws.cell(row=cell.row + cell.rowspan, column=cell.col + 1).border.bottom  # the blank cell's last slot
        if (ws.cell(row=cell.row + 1, column=cell.col + 1).border.top.style and not edge.style
                and not ws.cell(row=below.row + 1, column=below.col + 1).border.top.style):
            del at[below.row, below.col]
            at[cell.row, cell.col] = replace(below, row=cell.row, rowspan=cell.rowspan + below.rowspan)
    return list(at.values())


def _formula_cells(ws) -> set[tuple[int, int]]:
    """(row, column) of every cell holding a formula, in one pass over a read-only sheet."""
    return {(cell.row, cell.column) for row in ws.iter_rows() for cell in row
            if isinstance(cell.value, str) and cell.value.startswith("=")}


def _number_text(number: Decimal) -> str:
    return str(number.to_integral()) if number == number.to_integral() else str(number)
