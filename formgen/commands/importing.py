"""``formgen import``: existing XLSX and DOCX forms → project files.

A form file is read into a grid of cells with their merges (``read_xlsx``,
``read_docx``), then fields are found by their labels, not by fixed positions, so
that hand-made files with the same layout read too: extra blank rows, labels with
stray spaces or line breaks, merged or unmerged label cells, amounts as numbers or
as text with thousands separators. The indicator hierarchy is rebuilt from the
merges (an unmerged blank 一级/二级 cell means "same as above").

Every value that cannot be read is reported with its cell address, and a project
file is written only when nothing was lost: the text produced is loaded and
validated like any project file before it is written.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from .build import form_file_stem, write_text_atomically
from .errors import ProjectError
from .load import Settings, load_document
from .newform import scalar, text_block
from .yamlread import read_documents

TITLES = {"财政项目支出绩效目标申报表": "申报表", "财政项目支出绩效自评表": "自评表", "财政项目支出绩效目标表": "目标表"}


@dataclass
class Cell:
    text: str
    rowspan: int = 1
    colspan: int = 1
    number: Decimal | None = None  # a spreadsheet number, exactly as stored


@dataclass
class Grid:
    """One form as read from a file: its cells by (row, column), 0-based, and where it came from."""

    source: str  # file name, and sheet name for XLSX
    cells: dict[tuple[int, int], Cell]
    headings: list[str] = field(default_factory=list)
    address_of: Callable[[tuple[int, int]], str] = str  # (row, col) → "Sheet!C7" or "表格第 3 行第 2 列"

    def at(self, row: int, col: int) -> Cell | None:
        return self.cells.get((row, col))

    def rows(self) -> int:
        return max((r for r, _ in self.cells), default=-1) + 1

    def row_cells(self, row: int) -> list[tuple[int, Cell]]:
        return sorted((c, cell) for (r, c), cell in self.cells.items() if r == row)

    def owner(self, row: int, col: int) -> tuple[int, int] | None:
        """The cell whose merge covers (row, col)."""
        for (r, c), cell in self.cells.items():
            if r <= row < r + cell.rowspan and c <= col < c + cell.colspan:
                return r, c
        return None


def normalise(label: str) -> str:
    """A label as compared: no spaces or line breaks, no trailing colon, ASCII brackets."""
    text = re.sub(r"\s+", "", label).replace("（", "(").replace("）", ")").replace(":", "：")
    return text.rstrip("：")


# --- reading files ---------------------------------------------------------------

def read_xlsx(path: Path) -> list[Grid]:
    """One grid per worksheet that holds a form (an index sheet is skipped)."""
    import openpyxl
    from openpyxl.utils import get_column_letter

    workbook = openpyxl.load_workbook(path, data_only=True)
    grids = []
    for ws in workbook.worksheets:
        spans, covered = {}, set()
        for merged in ws.merged_cells.ranges:
            spans[merged.min_row, merged.min_col] = (merged.max_row - merged.min_row + 1,
                                                    merged.max_col - merged.min_col + 1)
            covered |= {(r, c) for r in range(merged.min_row, merged.max_row + 1)
                        for c in range(merged.min_col, merged.max_col + 1)} - {(merged.min_row, merged.min_col)}
        cells = {}
        for row in ws.iter_rows():
            for cell in row:
                if (cell.row, cell.column) in covered:
                    continue
                rowspan, colspan = spans.get((cell.row, cell.column), (1, 1))
                value, number = cell.value, None
                if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
                    number = Decimal(str(value))
                    value = _number_text(number)
                cells[cell.row - 1, cell.column - 1] = Cell("" if value is None else str(value), rowspan, colspan, number)
        grid = Grid(f"{path.name}!{ws.title}", cells,
                    address_of=lambda rc, title=ws.title: f"{title}!{get_column_letter(rc[1] + 1)}{rc[0] + 1}")
        if _form_kind(grid):
            grids.append(grid)
    return grids


def _number_text(number: Decimal) -> str:
    return str(number.to_integral()) if number == number.to_integral() else str(number)


def read_docx(path: Path) -> list[Grid]:
    """One grid per form of a document: its title paragraphs, then the rows of its tables."""
    import docx
    from docx.oxml.ns import qn

    body = docx.Document(path).element.body
    grids: list[Grid] = []
    current: Grid | None = None
    row = 0
    for element in body.iterchildren():
        if element.tag == qn("w:p"):
            text = "".join(t.text or "" for t in element.iter(qn("w:t"))).strip()
            if not text:
                continue
            if normalise(text) in {normalise(t) for t in TITLES} or current is None or current.cells:
                if current is None or current.cells:
                    current = Grid(f"{path.name}#{len(grids) + 1}", {}, [],
                                   address_of=lambda rc: f"表格第 {rc[0] + 1} 行第 {rc[1] + 1} 列")
                    grids.append(current)
                    row = 0
            current.headings.append(text)
        elif element.tag == qn("w:tbl") and current is not None:
            row = _read_table(element, current, row, qn)
    return [g for g in grids if _form_kind(g)]


def _read_table(table, grid: Grid, row: int, qn) -> int:
    open_cells: dict[int, Cell] = {}
    for tr in table.findall(qn("w:tr")):
        col = 0
        for tc in tr.findall(qn("w:tc")):
            properties = tc.find(qn("w:tcPr"))
            span_element = properties.find(qn("w:gridSpan")) if properties is not None else None
            span = int(span_element.get(qn("w:val"))) if span_element is not None else 1
            merge = properties.find(qn("w:vMerge")) if properties is not None else None
            if merge is not None and merge.get(qn("w:val")) in (None, "continue") and col in open_cells:
                open_cells[col].rowspan += 1
            else:
                text = "\n".join("".join(t.text or "" for t in p.iter(qn("w:t"))) for p in tc.findall(qn("w:p")))
                cell = Cell(text.strip("\n"), 1, span)
                grid.cells[row, col] = cell
                open_cells[col] = cell
            col += span
        row += 1
    return row


def _form_kind(grid: Grid) -> str | None:
    texts = grid.headings + [cell.text for cell in grid.cells.values()]
    for text in texts:
        kind = TITLES.get(normalise(text))
        if kind:
            return kind
    return None


# --- finding fields --------------------------------------------------------------

class _Reader:
    """Finds labels in a grid and reads the values beside or below them, noting what is missing."""

    def __init__(self, grid: Grid, labels: set[str]):
        self.grid = grid
        self.labels = {normalise(label) for label in labels}
        self.problems: list[str] = []
        self.index: dict[str, list[tuple[int, int]]] = {}
        for position, cell in sorted(grid.cells.items()):
            self.index.setdefault(normalise(cell.text), []).append(position)

    def where(self, position) -> str:
        return f"{self.grid.source} {self.grid.address_of(position)}"

    def find(self, label: str, nth: int = 0, prefix: bool = False) -> tuple[int, int] | None:
        key = normalise(label)
        found = [p for text, ps in self.index.items() for p in ps if (text.startswith(key) if prefix else text == key)]
        found.sort()
        return found[nth] if len(found) > nth else None

    def right_of(self, position) -> tuple[int, int] | None:
        """The value cell right of a label: the next cell in the row that is not itself a label."""
        row, col = position
        span = self.grid.cells[position].colspan
        for c, cell in self.grid.row_cells(row):
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
        for r in range(row + self.grid.cells[position].rowspan, self.grid.rows()):
            if not any(cell.text.strip() for _, cell in self.grid.row_cells(r)):
                continue  # a blank row someone inserted
            owner = self.grid.owner(r, col)
            return owner if owner and self.grid.cells[owner].text.strip() else None
        return None

    def text(self, label: str, nth: int = 0, required: bool = False) -> str | None:
        position = self.find(label, nth)
        if position is None:
            if required:
                self.problems.append(f"{self.grid.source}：未找到“{label}”")
            return None
        value = self.right_of(position)
        return self.grid.cells[value].text.strip() if value else None

    def amount(self, label: str, nth: int = 0, scale: Decimal = Decimal(1)) -> Decimal | None:
        position = self.find(label, nth)
        value = self.right_of(position) if position else None
        return self.amount_at(value, scale) if value else None

    def amount_at(self, position, scale: Decimal = Decimal(1)) -> Decimal | None:
        cell = self.grid.cells[position]
        if cell.number is not None:
            return (cell.number * scale).quantize(Decimal("0.01"))
        text = cell.text.strip().replace(",", "").replace("，", "")
        if not text or text == "-":
            return None
        try:
            return (Decimal(text) * scale).quantize(Decimal("0.01"))
        except InvalidOperation:
            self.problems.append(f"{self.where(position)}：应为金额，实际为 “{cell.text}”")
            return None

    def year(self) -> int | None:
        for text in self.grid.headings + [c.text for c in self.grid.cells.values()]:
            match = re.search(r"[(（]\s*(\d{4})\s*年度\s*[)）]", text)
            if match:
                return int(match.group(1))
        self.problems.append(f"{self.grid.source}：未找到年度，如 (2023年度)")
        return None

    def indicator_rows(self, header: str, columns: list[str], stop: str | None = None):
        """The rows under an indicator header: 一级 and 二级 carried down merges and blanks."""
        start = self.find(header)
        if start is None:
            self.problems.append(f"{self.grid.source}：未找到指标表头“{header}”")
            return []
        row = start[0]
        positions = {}
        for c, cell in self.grid.row_cells(row):
            positions.setdefault(normalise(cell.text), c)
        wanted = []
        for name in columns:
            key = next((k for k in positions if k == normalise(name) or k.startswith(normalise(name))), None)
            if key is None:
                self.problems.append(f"{self.where(start)}：指标表头缺少“{name}”")
                return []
            wanted.append(positions[key])
        rows, above = [], [None, None]
        for r in range(row + 1, self.grid.rows()):
            values = []
            for c in wanted:
                owner = self.grid.owner(r, c)
                values.append((owner, self.grid.cells[owner].text.strip() if owner else ""))
            first = normalise(self.grid.cells[self.grid.owner(r, 0)].text) if self.grid.owner(r, 0) else ""
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
            rows.append([(position, text) for position, text in values])
        return rows


# --- one grid → a project file ------------------------------------------------------

def project_text(grid: Grid) -> tuple[str, list[str], list[str]]:
    """(YAML text, problems, notes) of the form in a grid; problems mean the text must not be written."""
    kind = _form_kind(grid)
    reader = {"申报表": _declaration, "自评表": _self_evaluation, "目标表": _target_table}[kind]
    return reader(grid)


_DECLARATION_LABELS = {"项目名称", "项目性质", "项目类别", "主管部门", "实施单位", "计划开始日期", "计划完成日期",
                       "项目资金(元)", "项目资金总额", "其中：财政资金", "其他资金", "年度资金申请总额", "其中：当年财政拨款",
                       "上年结转资金", "项目绩效目标", "年度总体目标", "绩效指标", "一级指标", "二级指标", "三级指标",
                       "年度(/项目)指标值"}


def _declaration(grid: Grid):
    r = _Reader(grid, _DECLARATION_LABELS)
    lines = ["表单: 申报表", f"年度: {r.year()}"]
    lines += _fields(r, ["项目名称"], required=True)
    lines += _fields(r, ["项目性质", "项目类别", "主管部门", "实施单位", "计划开始日期", "计划完成日期"])
    funding = [("项目资金总额", r.amount("项目资金总额")), ("财政资金", r.amount("其中：财政资金")),
               ("其他资金", r.amount("其他资金", 0)), ("年度资金申请总额", r.amount("年度资金申请总额")),
               ("当年财政拨款", r.amount("其中：当年财政拨款")), ("上年结转资金", r.amount("上年结转资金")),
               ("年度其他资金", r.amount("其他资金", 1))]
    lines += _mapping("项目资金", funding)
    overall = r.find("项目总目标", prefix=True)
    if overall is not None:
        header = grid.cells[overall].text
        period = re.search(r"(\d{4})\s*年?\s*[-—–~至]\s*(\d{4})", header)
        if period:
            lines.append(f"项目总目标期间: {period.group(1)}-{period.group(2)}")
        lines += _block("项目总目标", r, r.below(overall))
    annual = r.find("年度总体目标")
    if annual is not None:
        lines += _block("年度总体目标", r, r.below(annual))
    rows = r.indicator_rows("一级指标", ["一级指标", "二级指标", "三级指标", "年度(/项目)指标值"])
    lines += _tree("绩效指标", rows, lambda values: scalar(values[3][1]) if values[3][1] else '""', r)
    return "\n".join(lines) + "\n", r.problems, []


def _self_evaluation(grid: Grid):
    r = _Reader(grid, {"项目名称", "主管部门", "实施单位", "项目资金(万元)", "年初预算数", "全年预算数", "全年执行数",
                       "分值", "执行率(%)", "得分", "年度资金总额", "其中：当年财政拨款", "上年结转资金", "其他资金",
                       "年度总体目标", "预期目标", "实际完成情况", "一级指标", "总分", "评分等级"})
    lines = ["表单: 自评表", f"年度: {r.year()}"]
    lines += _fields(r, ["项目名称"], required=True)
    lines += _fields(r, ["主管部门", "实施单位"])
    header = r.find("年初预算数")
    columns = {}
    if header is None:
        r.problems.append(f"{grid.source}：未找到项目资金表头“年初预算数”")
    else:
        columns = {normalise(cell.text): c for c, cell in grid.row_cells(header[0])}
    lines.append("项目资金:  # 元；由表上的万元数换算，精确到百元")
    ten_thousand = Decimal(10000)
    for label, key in (("其中：当年财政拨款", "当年财政拨款"), ("上年结转资金", "上年结转资金"), ("其他资金", "其他资金")):
        position = r.find(label)
        if position is None or not columns:
            r.problems.append(f"{grid.source}：未找到“{label}”一行")
            continue
        figures = []
        for column in ("年初预算数", "全年预算数", "全年执行数"):
            owner = grid.owner(position[0], columns.get(column, -1))
            amount = r.amount_at(owner, ten_thousand) if owner else None
            figures.append(f"{column}: {'' if amount is None else amount}")
        lines.append(f"  {key}: {{{', '.join(figures)}}}")
    total = r.find("年度资金总额", prefix=True)
    if total is not None and "分值" in columns:
        owner = grid.owner(total[0], columns["分值"])
        weight = r.amount_at(owner) if owner else None
        if weight is not None:
            lines.append(f"预算执行分值: {weight}")
    lines.append("年度总体目标:")
    for label in ("预期目标", "实际完成情况"):
        position = r.find(label)
        lines += _block(label, r, r.below(position) if position else None, indent=2)
    rows = r.indicator_rows("一级指标", ["一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分",
                                       "偏差原因分析及改进措施"], stop="总分")

    def evaluation(values):
        parts = [f"指标值: {scalar(values[3][1]) if values[3][1] else chr(34) * 2}",
                 f"实际完成值: {scalar(values[4][1]) if values[4][1] else chr(34) * 2}"]
        for name, (position, text) in zip(("分值", "得分"), values[5:7]):
            if text and text != "-":
                amount = r.amount_at(position)
                if amount is not None:
                    parts.append(f"{name}: {amount}")
        if values[7][1]:
            parts.append(f"偏差原因分析及改进措施: {scalar(values[7][1])}")
        return parts  # a block mapping: a flow one would break at a comma in a text

    lines += _tree("绩效指标", rows, evaluation, r)
    return "\n".join(lines) + "\n", r.problems, [f"{grid.source}：自评表金额由万元换算为元，执行率以换算后的金额重新计算"]


def _target_table(grid: Grid):
    labels = {"项目名称", "项目类别", "计划开始日期", "计划完成日期", "是否含有政府购买服务", "绩效类型", "项目概况",
              "立项依据", "项目设立的必要性", "保证项目实施的制度、措施", "项目实施计划", "总目标及阶段性目标",
              "项目总预算(元)", "项目当年预算(元)", "同名项目上年预算额(元)", "同名项目上年预算执行数(元)"}
    r = _Reader(grid, labels)
    lines = ["表单: 目标表", f"年度: {r.year()}"]
    for text in grid.headings + [c.text for c in grid.cells.values()]:
        match = re.match(r"\s*申报单位名称[:：]\s*(.*)$", text)
        if match and match.group(1).strip():
            lines.append(f"申报单位名称: {scalar(match.group(1).strip())}")
            break
    lines += _fields(r, ["项目名称"], required=True)
    lines += _fields(r, ["项目类别", "计划开始日期", "计划完成日期", "是否含有政府购买服务", "绩效类型"])
    for label in ("项目概况", "立项依据", "项目设立的必要性", "保证项目实施的制度、措施", "项目实施计划", "总目标及阶段性目标"):
        position = r.find(label)
        lines += _block(label, r, r.right_of(position) if position else None)
    lines += _mapping("资金使用情况", [(name, r.amount(f"{name}(元)")) for name in
                                   ("项目总预算", "项目当年预算", "同名项目上年预算额", "同名项目上年预算执行数")])
    rows = r.indicator_rows("一级目标", ["一级目标", "二级目标", "三级目标", "指标目标值"])
    lines += _tree("绩效目标", rows, lambda values: scalar(values[3][1]) if values[3][1] else '""', r)
    return "\n".join(lines) + "\n", r.problems, []


def _fields(r: _Reader, labels: list[str], required: bool = False) -> list[str]:
    lines = []
    for label in labels:
        value = r.text(label, required=required)
        if value:
            lines.append(f"{label}: {scalar(value)}")
    return lines


def _mapping(key: str, items: list[tuple[str, Decimal | None]]) -> list[str]:
    given = [(name, value) for name, value in items if value is not None]
    return [f"{key}:"] + [f"  {name}: {value}" for name, value in given] if given else []


def _block(key: str, r: _Reader, position, indent: int = 0) -> list[str]:
    """The text of a cell as a YAML text field; nothing when the cell is absent or empty."""
    text = r.grid.cells[position].text.strip("\n") if position is not None else ""
    return text_block(key, text, indent) if text.strip() else []


def _tree(key: str, rows, leaf, r: _Reader) -> list[str]:
    lines = [f"{key}:"]
    tree: dict[str, dict[str, list]] = {}
    for values in rows:
        (_, level1), (_, level2), (position, name) = values[0], values[1], values[2]
        items = tree.setdefault(level1, {}).setdefault(level2, [])
        if any(existing == name for existing, _ in items):
            r.problems.append(f"{r.where(position)}：三级指标“{name}”在同一二级指标下重复")
            continue
        items.append((name, values))
    for level1, groups in tree.items():
        lines.append(f"  {scalar(level1)}:")
        for level2, items in groups.items():
            lines.append(f"    {scalar(level2)}:")
            for name, values in items:
                value = leaf(values)
                if isinstance(value, list):
                    lines += [f"      {scalar(name)}:"] + [f"        {part}" for part in value]
                else:
                    lines.append(f"      {scalar(name)}: {value}")
    return lines


# --- files → project files ------------------------------------------------------------

@dataclass
class Imported:
    """What importing one form gave: the file written, or why none was."""

    source: str
    written: Path | None
    problems: list[str]
    notes: list[str]


def import_files(files: list[Path], folder: Path) -> list[Imported]:
    """Read every form of ``files`` and write one project file per form into ``folder``."""
    results = []
    for path in files:
        try:
            grids = read_xlsx(path) if path.suffix.lower() == ".xlsx" else read_docx(path)
        except Exception as error:  # a file that is not a readable XLSX/DOCX at all
            results.append(Imported(str(path), None, [f"{path}：无法读取（{type(error).__name__}: {error}）"], []))
            continue
        if not grids:
            results.append(Imported(str(path), None, [f"{path}：未找到申报表、自评表或目标表"], []))
        for grid in grids:
            text, problems, notes = project_text(grid)
            name = re.search(r"^项目名称: (.*)$", text, re.M)
            project_name = _unquote(name.group(1)) if name else "未命名项目"
            target = folder / f"{form_file_stem(project_name, _form_kind(grid))}.yaml"
            if not problems:  # every field must read back as written, or nothing is written
                try:
                    [document] = read_documents(text, str(target))
                    load_document(document, target, Settings(), apply_rules=False)
                except ProjectError as error:
                    problems = [f"{grid.source}：{p.field} {p.message}" for p in error.problems]
            if not problems and target.exists():
                problems = [f"{grid.source}：{target} 已存在，未覆盖"]
            if problems:
                results.append(Imported(grid.source, None, problems, notes))
                continue
            header = f"# 由 formgen import 从 {grid.source} 读入\n"
            write_text_atomically(target, header + text)
            try:  # what the form itself gets wrong (a sum, a date) is worth knowing, not a reason to lose it
                load_document(document, target, Settings())
            except ProjectError as error:
                notes += [f"原表中的问题：{p.field} {p.message}" for p in error.problems]
            results.append(Imported(grid.source, target, [], notes))
    return results


def _unquote(text: str) -> str:
    return json.loads(text) if text.startswith('"') else text
