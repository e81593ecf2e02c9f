"""XLSX → Sheet: one per worksheet, merged ranges as spans, numbers kept exact as amounts.

openpyxl makes a cell object for every slot of a merged range and of a hyperlink's range,
and for every coordinate a sheet or a comment names; so before it opens a workbook the
package is checked (:mod:`.package`) and the coordinates of every worksheet are scanned
with a streaming parser, against the bounds.
"""

from __future__ import annotations

import datetime
import re
import zipfile
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from xml.parsers import expat

from . import MAX_CELLS, MAX_COLUMNS, MAX_ROWS, ReadError, ReadSheet, too_many_columns, too_many_rows
from . import package as packages
from ..layout.sheet import Cell, Sheet


def read(path: Path, kind=None, name: str | None = None):
    """The worksheets of ``path``; ``name`` is the file name messages give (the user's file
    when this one was converted from it)."""
    import openpyxl
    from openpyxl.utils import get_column_letter

    name = name or path.name
    try:
        with zipfile.ZipFile(path) as package:
            packages.check(path, package)
            _check_coordinates(path, package)
        with open(path, "rb") as data, open(path, "rb") as formula_data:  # file objects: any suffix opens
            workbook = openpyxl.load_workbook(data, data_only=True)  # the values last computed, not formulas
            formulas = openpyxl.load_workbook(formula_data, read_only=True)  # to tell a formula never computed
            found = [_read_sheet(ws, formulas[ws.title], name, get_column_letter) for ws in workbook.worksheets]
            formulas.close()
    except (zipfile.BadZipFile, KeyError, ValueError, TypeError, OSError, EOFError) as error:
        raise ReadError(f"{path}：不是有效的 XLSX 文件，或已损坏（{error}）") from None
    return found


def _read_sheet(ws, formula_sheet, name: str, get_column_letter) -> ReadSheet:
    uncomputed, errors, formula_cells = [], [], _formula_cells(formula_sheet)
    spans, covered = {}, set()
    for merged in ws.merged_cells.ranges:  # bounded by the scan: at most MAX_CELLS slots in all
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
                value = number_text(number)
            text = date_text(value) if isinstance(value, (datetime.date, datetime.time)) else \
                "" if value is None else str(value)
            cells.append(Cell(cell.row - 1, cell.column - 1, text.split("\n") if text else [], rowspan, colspan,
                              amount=number))
    cells = joined_open_cells(cells, rules_of(ws))
    sheet = Sheet(ws.title, [], [], cells, max((c.row for c in cells), default=-1) + 1)
    problems = [f"{name} {where}：是公式但没有计算结果，请在 Excel 或 WPS 中打开、保存后再导入"
                for where in uncomputed]
    problems += [f"{name} {where}：是出错的公式；以 = 开头的指标值请在单元格中写成文本（前面加英文单引号 '）"
                 for where in errors]
    return ReadSheet(sheet, f"{name}!{ws.title}",
                     lambda rc, title=ws.title: f"{name} {title}!{get_column_letter(rc[1] + 1)}{rc[0] + 1}", problems)


def joined_open_cells(cells: list[Cell], ruled) -> list[Cell]:
    """The cells as they read on paper: a blank cell with no rule below it over a cell as wide with
    no rule above it is one cell, the text the lower one's. formgen writes a label that runs on below
    the header rows Excel repeats on each page so (``writers.xlsx``). ``ruled(row, col, edge)`` tells
    whether the slot at (row, col), from 0, has a rule on its "top" or "bottom" edge."""
    at = {(cell.row, cell.col): cell for cell in cells}
    for cell in sorted(cells, key=lambda c: (c.col, c.row)):
        if cell.paragraphs or cell.amount is not None or (cell.row, cell.col) not in at:
            continue
        below = at.get((cell.row + cell.rowspan, cell.col))
        if below is None or below.colspan != cell.colspan:
            continue
        if (ruled(cell.row, cell.col, "top") and not ruled(below.row - 1, cell.col, "bottom")
                and not ruled(below.row, below.col, "top")):
            del at[below.row, below.col]
            at[cell.row, cell.col] = replace(below, row=cell.row, rowspan=cell.rowspan + below.rowspan)
    return list(at.values())


def rules_of(ws):
    """``ruled(row, col, edge)`` of an openpyxl worksheet, for :func:`joined_open_cells`."""
    return lambda row, col, edge: bool(getattr(ws.cell(row=row + 1, column=col + 1).border, edge).style)


def _formula_cells(ws) -> set[tuple[int, int]]:
    """(row, column) of every cell holding a formula, in one pass over a read-only sheet."""
    return {(cell.row, cell.column) for row in ws.iter_rows() for cell in row
            if isinstance(cell.value, str) and cell.value.startswith("=")}


def number_text(number: Decimal) -> str:
    return str(number.to_integral()) if number == number.to_integral() else str(number)


def date_text(value) -> str:
    """A date a spreadsheet stores as a date, as a form prints it: 2023-01-01."""
    if isinstance(value, datetime.datetime) and value.time() == datetime.time(0):
        value = value.date()
    return value.isoformat(sep=" ") if isinstance(value, datetime.datetime) else value.isoformat()


_REFERENCE = re.compile(r"^\$?([A-Za-z]{1,3})\$?([0-9]{1,7})$")


def _check_coordinates(path: Path, package: zipfile.ZipFile) -> None:
    """Every coordinate openpyxl would make a cell for, from the worksheets and comments, within
    the bounds; merged and hyperlinked ranges no larger than a whole sheet's slots."""
    for member in package.infolist():
        name = member.filename
        if not (name.startswith("xl/worksheets/") or name.startswith("xl/comments")) or not name.endswith(".xml"):
            continue
        scan = _CoordinateScan(path, name)
        parser = expat.ParserCreate(namespace_separator=" ")
        parser.StartElementHandler = scan.element
        try:
            with package.open(member) as stream:
                parser.ParseFile(stream)
        except expat.ExpatError as error:
            raise ReadError(f"{path} 中的 {name}：XML 已损坏（{error}）") from None


class _CoordinateScan:
    """The coordinates of one worksheet part, checked as the parser meets them."""

    def __init__(self, path: Path, part: str):
        self.path, self.part = path, part
        self.row = self.col = 0
        self.areas = 0

    def element(self, tag: str, attributes: dict) -> None:
        local = tag.rsplit(" ", 1)[-1]
        if local == "row":
            self.row = self._number(attributes.get("r")) or self.row + 1
            self.col = 0
        elif local == "c":
            reference = attributes.get("r")
            if reference:
                self.col, self.row = self._cell(reference)
            else:
                self.col += 1
            self._within(self.row, self.col)
        elif local in ("mergeCell", "hyperlink", "comment"):
            for part in (attributes.get("ref") or "").split():
                corners = [self._cell(corner) for corner in part.split(":")[:2]]
                (col1, row1), (col2, row2) = corners[0], corners[-1]
                for col, row in corners:
                    self._within(row, col)
                self.areas += (abs(row2 - row1) + 1) * (abs(col2 - col1) + 1)
                if self.areas > MAX_CELLS:
                    raise too_many_columns(self.path, self.part)

    def _within(self, row: int, col: int) -> None:
        if row > MAX_ROWS:
            raise too_many_rows(self.path, self.part, row)
        if col > MAX_COLUMNS:
            raise too_many_columns(self.path, self.part)

    def _cell(self, reference: str) -> tuple[int, int]:
        match = _REFERENCE.match(reference)
        if not match:
            raise ReadError(f"{self.path} 中的 {self.part}：单元格地址“{reference[:20]}”无效，文件已损坏")
        letters, digits = match.groups()
        col = 0
        for letter in letters.upper():
            col = col * 26 + ord(letter) - 64
        return col, int(digits)

    def _number(self, text) -> int | None:
        return int(text) if text and text.isascii() and text.isdigit() and len(text) < 8 else None
