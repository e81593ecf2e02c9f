"""Finding a form's fields in a read Sheet by their labels, not by fixed positions.

So that hand-made files with the same layout read too: extra blank rows, labels
with stray spaces or line breaks, merged or unmerged label cells, amounts as
numbers or as text with thousands separators. Every value that cannot be read is
noted with its cell address.
"""

from __future__ import annotations

import functools
import re
from decimal import Decimal, InvalidOperation

from ...layout.sheet import Cell, joined
from ...load.fields import MAX_NUMBER
from ...money import CENT, TEN_THOUSAND
from ...readers import ReadSheet, normalise


class Labels:
    """Finds labels in a sheet and reads the values beside or below them, noting what is missing."""

    def __init__(self, found: ReadSheet, labels: set[str]):
        self.found = found
        self.labels = {normalise(label) for label in labels}
        self.problems: list[str] = []
        sheet = found.sheet
        self.cells: dict[tuple[int, int], Cell] = {(c.row, c.col): c for c in sheet.cells}
        self.owners = sheet.slot_owners()
        self.row_count = sheet.row_count
        self.rows: dict[int, list[tuple[int, Cell]]] = {}
        self.index: dict[str, list[tuple[int, int]]] = {}
        for position, cell in sorted(self.cells.items()):
            self.rows.setdefault(position[0], []).append((position[1], cell))
            self.index.setdefault(normalise(cell.text), []).append(position)

    @property
    def source(self) -> str:
        return self.found.source

    def where(self, position) -> str:
        return self.found.address(position)

    def owner(self, row: int, col: int) -> tuple[int, int] | None:
        """The (row, col) of the cell whose merge covers (row, col)."""
        cell = self.owners.get((row, col))
        return (cell.row, cell.col) if cell else None

    def row_cells(self, row: int) -> list[tuple[int, Cell]]:
        return self.rows.get(row, [])

    def find(self, label: str, nth: int = 0, prefix: bool = False) -> tuple[int, int] | None:
        key = normalise(label)
        found = [p for text, ps in self.index.items() for p in ps if (text.startswith(key) if prefix else text == key)]
        found.sort()
        return found[nth] if len(found) > nth else None

    def right_of(self, position) -> tuple[int, int] | None:
        """The value cell right of a label: the next cell in the row that is not itself a label."""
        row, col = position
        span = self.cells[position].colspan
        for c, cell in self.row_cells(row):
            if c < col + span:
                continue
            if normalise(cell.text) in self.labels:
                return None
            if cell.text.strip():
                return row, c
        return None

    def below(self, position) -> tuple[int, int] | None:
        """The cell under a heading cell, on the next row that is not blank; None when it is empty."""
        row, col = position
        for r in range(row + self.cells[position].rowspan, self.row_count):
            if not any(cell.text.strip() for _, cell in self.row_cells(r)):
                continue  # a blank row someone inserted
            owner = self.owner(r, col)
            return owner if owner and self.cells[owner].text.strip() else None
        return None

    def nothing_between(self, first: int, stop: int, parts: str) -> None:
        """Note every cell with text that starts on the rows ``first`` to ``stop`` (not included):
        between two parts of the form nothing belongs, and a cell there would be lost unsaid. A
        PDF from an office suite draws a rule where a row runs over a page, so the part of a
        long text on the next page can look like a row of its own."""
        for row in range(first, stop):
            for col, cell in self.row_cells(row):
                if cell.text.strip():
                    self.problems.append(f"{self.where((row, col))}：“{cell.text.strip()[:20]}”位于{parts}之间，"
                                         "不属于表上的任何一项（可能是上一行跨页的部分），未导入；请用原表格文件导入")

    def text_at(self, position) -> str:
        return self.cells[position].text

    def text_cells(self, heading, beside: bool = False) -> list:
        """The cells of the text under ``heading`` (or right of it, ``beside``): one, or one a page
        where a long text runs on over pages under its heading printed again (``Sheet.continued``)."""
        cells = []
        while heading is not None:
            value = self.right_of(heading) if beside else self.below(heading)
            if value is None:
                break
            cells.append(value)
            after = max(heading[0] + self.cells[heading].rowspan, value[0] + self.cells[value].rowspan)
            again = (after, heading[1])
            same = again in self.cells and normalise(self.cells[again].text) == normalise(self.cells[heading].text)
            heading = again if same else None
        return cells

    def long_text(self, heading, beside: bool = False) -> str:
        """The text of ``text_cells`` put together again; "" when none."""
        texts = [self.text_at(cell).strip("\n") for cell in self.text_cells(heading, beside)]
        return functools.reduce(joined, texts) if texts else ""

    def text(self, label: str, nth: int = 0, required: bool = False) -> str | None:
        position = self.find(label, nth)
        if position is None:
            if required:
                self.problems.append(f"{self.source}：未找到“{label}”")
            return None
        value = self.right_of(position)
        return self.cells[value].text.strip() if value else None

    def amount(self, label: str, nth: int = 0, scale: Decimal = Decimal(1)) -> Decimal | None:
        position = self.find(label, nth)
        value = self.right_of(position) if position else None
        return self.amount_at(value, scale) if value else None

    def amount_at(self, position, scale: Decimal = Decimal(1)) -> Decimal | None:
        cell = self.cells[position]
        number = cell.amount
        if number is None:
            text = cell.text.strip().replace(",", "").replace("，", "")
            if not text or text == "-":
                return None
            try:
                number = Decimal(text)
            except InvalidOperation:
                number = None
            if number is None or not number.is_finite():
                self.problems.append(f"{self.where(position)}：应为金额，实际为 “{cell.text}”")
                return None
        if abs(number * scale) > MAX_NUMBER:
            self.problems.append(f"{self.where(position)}：金额过大（最多 999,999,999,999.99 元），实际为 “{cell.text}”")
            return None
        return (number * scale).quantize(CENT)

    def year(self) -> int | None:
        """The year of ``(2023年度)`` under the title, or of a title that begins ``2023年度``."""
        for text in [h.text for h in self.found.sheet.headings] + [c.text for c in self.cells.values()]:
            match = (re.search(r"[(（]\s*(\d{4})\s*年度\s*[)）]", text)
                     or re.match(r"\s*(\d{4})\s*年度?\s*财政项目支出绩效", text))
            if match:
                return int(match.group(1))
        self.problems.append(f"{self.source}：未找到年度，如 (2023年度)")
        return None

    def unit_scale(self, label: str, usual: str) -> Decimal | None:
        """How many 元 one figure under ``label`` is: 1 for ``label（元）``, 10,000 for ``label（万元）``.
        A label that says neither is a problem with its cell (a figure read in the wrong unit would
        be off by 10,000 without a word); ``usual`` is the unit the form prints."""
        for unit, scale in (("元", Decimal(1)), ("万元", TEN_THOUSAND)):
            if self.find(f"{label}({unit})") is not None:
                return scale
        position = self.find(label, prefix=True)
        where = self.where(position) if position else self.source
        self.problems.append(f"{where}：看不出“{label}”的金额单位，请在标签中写明，如 {label}（{usual}）")
        return None

    def indicator_rows(self, header: str, columns: list[str | tuple[str, ...]], stop: str | None = None):
        """The rows under an indicator header, each a list of ((row, col), text) per column asked
        for (a column by one of its names): 一级 and 二级 carried down merges and blanks."""
        start = self.find(header)
        if start is None:
            self.problems.append(f"{self.source}：未找到指标表头“{header}”")
            return []
        row = start[0]
        positions = {}
        for c, cell in self.row_cells(row):
            positions.setdefault(normalise(cell.text), c)
        wanted = []
        for names in columns:
            names = (names,) if isinstance(names, str) else names
            key = next((k for name in names for k in positions if k == normalise(name) or k.startswith(normalise(name))),
                       None)
            if key is None:
                self.problems.append(f"{self.where(start)}：指标表头缺少“{names[0]}”")
                return []
            wanted.append(positions[key])
        rows, above = [], [None, None]
        for r in range(row + 1, self.row_count):
            values = []
            for c in wanted:
                owner = self.owner(r, c)
                values.append((owner, self.cells[owner].text.strip() if owner else ""))
            first = normalise(self.cells[self.owner(r, 0)].text) if self.owner(r, 0) else ""
            if stop and first == normalise(stop):
                break
            if not any(text for _, text in values):
                continue  # a blank row
            for level in (0, 1):  # merged from above, or a blank meaning "same as above"
                if values[level][1] == "" or (values[level][0] and values[level][0][0] < r):
                    values[level] = (values[level][0], above[level] or "")
            above = [values[0][1], values[1][1]]
            if not values[2][1]:
                self.problems.append(f"{self.where((r, wanted[2]))}：缺少三级指标名称")
                continue
            rows.append(values)
        return rows
