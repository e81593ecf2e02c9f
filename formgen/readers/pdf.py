"""PDF forms → Sheets: a single form, or a unit's whole 汇总表 of dozens, one Sheet a form.

The pages are read in a child process under a memory and a time limit (:mod:`.pdfpages`:
ruled tables, lines of text); here they are joined into forms:

* a form starts on a page whose lines above its table hold a form's title; pages without
  a title continue it (a 汇总表's cover and index, having no form title, start none);
* the columns of all of a form's pages are one set of rules, matched by position, so a page
  that lacks a rule another has still lands in the right columns;
* on a continuation page the rows that repeat the indicator header are left out, and a cell
  cut by the page is joined again: an unruled cut by its text, whose break at the page is a
  wrap or a paragraph by width (a row that ran over, where nothing at the cut is ruled; or a
  merged cell going on while the rows beside it end at the page, as Chromium prints them);
  a ruled cut of a merged cell (a 一级 or 二级 label repeated on the next page) when both
  parts say the same;
* the lines below a table (the running footer) are not part of a form.

Text drawn off the page and text in a table but in no cell are problems with their page; a
cell whose text cannot be read with certainty is a doubt of that cell (the importer reports it
unless the cell is a label, whose reading the doubt cannot change): nothing is guessed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from . import ReadError, ReadSheet, normalise, title_kind
from .pdfpages import MAX_PAGES
from .pdftext import join_wrapped, line_break
from ..layout.sheet import Cell, Heading, Sheet

MEMORY_LIMIT_BYTES = 2 * 1024 ** 3
SECONDS_PER_PAGE = 3  # on a loaded machine a page takes well under one
SNAP = 2.0  # points: rules closer than this are one rule
_HEADER_LABELS = {"一级指标", "一级目标"}


def read(path: Path, kind=None):
    pages = _extract(path)
    forms: list[_Form] = []
    current: _Form | None = None
    for page in pages:
        tables = page["tables"]
        top = tables[0]["bbox"][1] if tables else float("inf")
        above = [line["text"] for line in page["lines"] if line["bottom"] <= top + SNAP]
        title = next((i for i, text in enumerate(above) if title_kind(text)), None)
        if title is not None:
            current = _Form(path.name, len(forms) + 1, [Heading(text, "note") for text in above[title:]])
            forms.append(current)
        elif not tables:
            current = None  # a page without a table (a cover) ends a form
        if current is None:
            continue
        if page["clipped"]:
            current.problems.append(f"{path.name} 第 {page['number']} 页：有 {page['clipped']} 个字符画在页面之外"
                                    "（被裁切），这一页的内容无法完整读出；请用原表格文件导入")
        for text in page["stray"]:
            current.problems.append(f"{path.name} 第 {page['number']} 页：表格中有不在任何单元格内的文字“{text[:30]}”，"
                                    "无法确定属于哪一格")
        for index, table in enumerate(tables):
            current.tables.append(_Table(page["number"], table["cells"], index == 0))
    return [form.read_sheet() for form in forms]


def _extract(path: Path) -> list[dict]:
    """The pages as :mod:`.pdfpages` reads them, in a child process under the limits."""
    pages = _page_count(path)
    seconds = 60 + SECONDS_PER_PAGE * pages
    try:
        done = subprocess.run([sys.executable, "-m", "formgen.readers.pdfpages", str(path)], capture_output=True,
                              timeout=seconds, stdin=subprocess.DEVNULL, preexec_fn=_limits(seconds),
                              env={**os.environ, "PYTHONIOENCODING": "utf-8"})
    except subprocess.TimeoutExpired:
        raise ReadError(f"{path}：PDF 过于复杂，{seconds} 秒内未能读完，未导入") from None
    if done.returncode != 0:
        last = (done.stderr.decode("utf-8", "replace").strip().splitlines() or [""])[-1][:200]
        why = "内存或时间超过上限" if "MemoryError" in last or done.returncode < 0 else f"已损坏或格式不受支持：{last}"
        raise ReadError(f"{path}：无法读取这个 PDF（{why}）") from None
    result = json.loads(done.stdout.decode("utf-8"))
    if result.get("error") == "objects":
        raise ReadError(f"{path} 第 {result['page']} 页：图形或文字过多，不是正常的表单页，未导入")
    if result.get("error"):
        raise ReadError(f"{path}：无法读取这个 PDF（{result.get('detail', result['error'])}）")
    return result["pages"]


def _page_count(path: Path) -> int:
    """Pages, counted by pdfium (fast, and hardened against hostile files); a password or a
    damaged file is said here, before any child starts."""
    import pypdfium2

    try:
        document = pypdfium2.PdfDocument(str(path))
    except pypdfium2.PdfiumError as error:
        if "password" in str(error).lower():
            raise ReadError(f"{path}：PDF 设有打开密码，请取消密码后再导入") from None
        raise ReadError(f"{path}：PDF 已损坏，无法打开（{error}）") from None
    with document:
        pages = len(document)
    if pages > MAX_PAGES:
        raise ReadError(f"{path}：有 {pages:,} 页，超过可导入的 {MAX_PAGES} 页；请分成几个文件导入")
    return pages


def _limits(seconds: int):
    if os.name != "posix":
        return None

    def apply():
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT_BYTES, MEMORY_LIMIT_BYTES))
        resource.setrlimit(resource.RLIMIT_CPU, (seconds, seconds))
    return apply


@dataclass
class _Table:
    page: int
    cells: list[dict]
    first_on_page: bool


@dataclass
class _Form:
    file: str
    number: int
    headings: list[Heading]
    tables: list[_Table] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    doubts: dict[tuple[int, int], list[str]] = field(default_factory=dict)  # (row, col) → what is uncertain there
    origin: dict[int, tuple[int, int]] = field(default_factory=dict)  # grid row → (page, row of that page's table)

    def read_sheet(self) -> ReadSheet:
        columns = _snapped(x for table in self.tables for cell in table.cells for x in (cell["bbox"][0], cell["bbox"][2]))
        cells: list[Cell] = []
        headers: list[dict[int, str]] = []  # the indicator header rows, as {column: label}
        last: list[tuple[Cell, dict]] = []  # cells of the previous table, with what pdfpages read
        rows = 0
        for index, table in enumerate(self.tables):
            edges = _snapped(y for cell in table.cells for y in (cell["bbox"][1], cell["bbox"][3]))
            placed = [(_position(cell["bbox"], columns, edges), cell) for cell in table.cells]
            starts = _row_texts(placed)
            skip = 0
            if index > 0 and table.first_on_page:
                while skip in starts and any(_repeats(starts[skip], header) for header in headers):
                    skip += 1
            headers += [texts for texts in starts.values() if any(normalise(t) in _HEADER_LABELS for t in texts.values())]
            going_on = index > 0 and table.first_on_page  # the form's table goes on from the page before
            at_cut = [read for cell, read in last if cell.row + cell.rowspan == rows]
            # A row that ran over the page leaves nothing ruled at the cut; where some cells are
            # ruled there, the rows end at the page, and the open cells are merged ones going on.
            joined_row = going_on and bool(at_cut) and all(read["open_bottom"] for read in at_cut) and \
                any(c["open_top"] for (r, *_), c in placed if r == skip)
            offset = rows - 1 - skip if joined_row else rows - skip
            current = []
            for (row, col, rowspan, colspan), read in placed:
                if row + rowspan <= skip:
                    continue  # a repeated header row
                if row < skip:
                    rowspan, row = rowspan - (skip - row), skip
                cell = Cell(row + offset, col, list(read["paragraphs"]), rowspan, colspan)
                continued = self._continued(cell, read, last, rows, joined_row) if going_on and row == skip else None
                if continued is None:
                    cells.append(cell)
                owner = continued[0] if continued else cell
                for doubt in read["uncertain"]:
                    self._doubt(owner, f"{self.address(cell.row, col, table.page, row)}：{doubt}")
                current.append(continued or (cell, read))
                for r in range(row, row + rowspan):
                    self.origin.setdefault(r + offset, (table.page, r))
            last = current
            rows = max([rows] + [c.row + c.rowspan for c in cells])
        sheet = Sheet(f"#{self.number}", self.headings, [], cells, rows)
        source = f"{self.file}#{self.number}"
        return ReadSheet(sheet, source, lambda rc: self.address(rc[0], rc[1]), self.problems, self.doubts)

    def _doubt(self, cell: Cell, where_and_what: str) -> None:
        self.doubts.setdefault((cell.row, cell.col), []).append(f"{where_and_what}，请用原表格文件导入或导入后核对")

    def _continued(self, cell: Cell, read: dict, last, cut: int, joined_row: bool):
        """The cell of the previous page this one (at the top of its page) continues, extended by
        it (with what was read of its latest part); None when it starts anew. ``cut`` is the grid
        row where the previous page ended."""
        for before, before_read in last:
            if (before.col, before.colspan) != (cell.col, cell.colspan) or before.row + before.rowspan != cut:
                continue
            if read["open_top"] and before_read["open_bottom"]:  # one cell, cut by the page
                verdict = line_break(before_read["tail"], read["head"], same_page=False)
                if verdict == "uncertain":
                    self._doubt(before, f"{self.address(before.row, before.col)}（跨到下一页）：页末是换行还是分段无法确定")
                if not before.paragraphs:
                    before.paragraphs = cell.paragraphs
                elif not cell.paragraphs:
                    pass
                elif verdict == "paragraph":
                    before.paragraphs = before.paragraphs + cell.paragraphs
                else:
                    joined = join_wrapped(before.paragraphs[-1], cell.paragraphs[0], before_read["tail"], verdict)
                    before.paragraphs = before.paragraphs[:-1] + [joined] + cell.paragraphs[1:]
                before.rowspan = cell.row + cell.rowspan - before.row
                return before, read if cell.paragraphs else before_read
            if not joined_row and before.paragraphs and before.paragraphs == cell.paragraphs:
                before.rowspan += cell.rowspan  # a merged label repeated on the next page
                return before, read
        return None

    def address(self, row: int, col: int, page: int | None = None, page_row: int | None = None) -> str:
        if page is None:
            page, page_row = self.origin.get(row, (None, row))
        where = f"第 {page} 页 " if page else ""
        return f"{self.file} {where}表格第 {page_row + 1} 行第 {col + 1} 列"


def _snapped(values) -> list[float]:
    """Positions within SNAP of each other as one, in order."""
    snapped: list[float] = []
    for value in sorted(values):
        if not snapped or value - snapped[-1] > SNAP:
            snapped.append(value)
    return snapped


def _nearest(value: float, positions: list[float]) -> int:
    return min(range(len(positions)), key=lambda i: abs(positions[i] - value))


def _position(bbox, columns, edges) -> tuple[int, int, int, int]:
    x0, top, x1, bottom = bbox
    col, row = _nearest(x0, columns), _nearest(top, edges)
    return row, col, max(_nearest(bottom, edges) - row, 1), max(_nearest(x1, columns) - col, 1)


def _row_texts(placed) -> dict[int, dict[int, str]]:
    """{row: {column: text}} of the cells that start in each row, text or not."""
    rows: dict[int, dict[int, str]] = {}
    for (row, col, _, _), read in placed:
        rows.setdefault(row, {})[col] = "\n".join(read["paragraphs"])
    return rows


def _repeats(row: dict[int, str], header: dict[int, str]) -> bool:
    """Whether a row repeats an indicator header: each of its texts where the header has it."""
    texts = {col: normalise(text) for col, text in row.items() if normalise(text)}
    return bool(texts) and any(t in _HEADER_LABELS for t in texts.values()) and \
        all(normalise(header.get(col, "")) == text for col, text in texts.items())
