"""Cells placed on a grid as a browser places table cells: each in the first slot of its row
that no rowspan from above still covers, or at the column a file names.

Shared by the readers of HTML tables and SpreadsheetML. Only the rowspans still open are
kept, never a slot per grid cell, and every coordinate and span is held to the bounds
before it is used.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from . import MAX_CELLS, MAX_COLUMNS, MAX_ROWS, too_many_columns, too_many_rows
from ..layout.sheet import Cell


class Placer:
    """Places one table's cells, row by row."""

    def __init__(self, path: Path, where: str):
        self.path, self.where = path, where
        self.cells: list[Cell] = []
        self.row = -1
        self.col = 0
        self.open: list[tuple[int, int, int]] = []  # (first column, last column, last row) of rowspans
        self.area = 0

    def next_row(self, index: int | None = None) -> None:
        """Start a row: the next one, or row ``index`` (0-based) when the file names it."""
        self.row = index if index is not None and index > self.row else self.row + 1
        if self.row >= MAX_ROWS:
            raise too_many_rows(self.path, self.where, self.row + 1)
        self.open = [span for span in self.open if span[2] >= self.row]
        self.col = 0

    def place(self, paragraphs: list[str], rowspan: int = 1, colspan: int = 1, column: int | None = None,
              amount: Decimal | None = None) -> Cell:
        """Put a cell in the current row at ``column`` (0-based) if given, else in the next free slot."""
        if self.row < 0:
            self.next_row()
        self.col = column if column is not None and column >= self.col else self._free(self.col)
        rowspan, colspan = max(rowspan, 1), max(colspan, 1)
        self.area += rowspan * colspan
        if self.col + colspan > MAX_COLUMNS or self.area > MAX_CELLS:
            raise too_many_columns(self.path, self.where)
        if self.row + rowspan > MAX_ROWS:
            raise too_many_rows(self.path, self.where, self.row + rowspan)
        cell = Cell(self.row, self.col, paragraphs, rowspan, colspan, amount=amount)
        self.cells.append(cell)
        if rowspan > 1:
            self.open.append((self.col, self.col + colspan - 1, self.row + rowspan - 1))
        self.col += colspan
        return cell

    def _free(self, col: int) -> int:
        while any(first <= col <= last for first, last, _ in self.open):
            col += 1
            if col > MAX_COLUMNS:
                raise too_many_columns(self.path, self.where)
        return col

    @property
    def row_count(self) -> int:
        return max((c.row + c.rowspan for c in self.cells), default=0)
