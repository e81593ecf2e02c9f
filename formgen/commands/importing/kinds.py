"""A read form → the data of its project file, one function per form kind.

Each returns ``(data, problems, notes)``: the project as data for ``yamlwrite``,
what could not be read (nothing may be written then), and what the user should
know (a 自评表's amounts came back from 万元).
"""

from __future__ import annotations

import re
from decimal import Decimal

from ...money import TEN_THOUSAND
from ...readers import ReadSheet, form_kind, normalise
from ...yamlwrite import Block, Commented
from .labels import Labels


def project_data(found: ReadSheet) -> tuple[dict, list[str], list[str]]:
    kind = form_kind(found.sheet)
    data, problems, notes = {"申报表": _declaration, "自评表": _self_evaluation, "目标表": _target_table}[kind](found)
    return data, _doubts(found, _LABELS[kind]) + problems, notes


def _doubts(found: ReadSheet, labels: set[str]) -> list[str]:
    """What the reader is unsure of, but for label cells: a label is compared without its spaces
    and line breaks, so whether its lines were one paragraph or two changes nothing."""
    cells = {(cell.row, cell.col): cell for cell in found.sheet.cells}
    known = {normalise(label) for label in labels}
    return [doubt for position, doubts in found.doubts.items()
            if position not in cells or normalise(cells[position].text) not in known for doubt in doubts]


_DECLARATION_LABELS = {"项目名称", "项目性质", "项目类别", "主管部门", "实施单位", "计划开始日期", "计划完成日期",
                       "项目资金(元)", "项目资金(万元)", "项目资金总额", "其中：财政资金", "其他资金", "年度资金申请总额", "其中：当年财政拨款",
                       "上年结转资金", "项目绩效目标", "年度总体目标", "年度总目标", "绩效指标", "一级指标", "二级指标", "三级指标",
                       "年度(/项目)指标值"}


def _declaration(found: ReadSheet):
    r = Labels(found, _DECLARATION_LABELS)
    data: dict = {"表单": "申报表", "年度": r.year()}
    _fields(data, r, ["项目名称"], required=True)
    _fields(data, r, ["项目性质", "项目类别", "主管部门", "实施单位", "计划开始日期", "计划完成日期"])
    scale = r.unit_scale("项目资金", "元")
    notes = [f"{r.source}：项目资金按表上的万元数换算为元"] if scale == TEN_THOUSAND else []
    if scale is not None:
        _amounts(data, "项目资金", [
            ("项目资金总额", r.amount("项目资金总额", scale=scale)), ("财政资金", r.amount("其中：财政资金", scale=scale)),
            ("其他资金", r.amount("其他资金", 0, scale)), ("年度资金申请总额", r.amount("年度资金申请总额", scale=scale)),
            ("当年财政拨款", r.amount("其中：当年财政拨款", scale=scale)), ("上年结转资金", r.amount("上年结转资金", scale=scale)),
            ("年度其他资金", r.amount("其他资金", 1, scale))])
    overall = r.find("项目总目标", prefix=True) or r.find("项目总体目标", prefix=True)  # units word it either way
    if overall is not None:
        period = re.search(r"(\d{4})\s*年?\s*[-—–~至]\s*(\d{4})", r.text_at(overall))
        if period:
            data["项目总目标期间"] = f"{period.group(1)}-{period.group(2)}"
        _block(data, "项目总目标", r.long_text(overall))
    annual = r.find("年度总体目标") or r.find("年度总目标")
    if annual is not None:
        _block(data, "年度总体目标", r.long_text(annual))
    _nothing_below_goals(r, [cell for label in (overall, annual) if label is not None for cell in r.text_cells(label)])
    rows = r.indicator_rows("一级指标", ["一级指标", "二级指标", "三级指标", ("年度(/项目)指标值", "年度指标值", "指标值")])
    data["绩效指标"] = _tree(rows, lambda values: values[3][1], r)
    return data, r.problems, notes


_SELF_EVALUATION_LABELS = {"项目名称", "主管部门", "实施单位", "项目资金(万元)", "项目资金(元)", "年初预算数", "全年预算数",
                           "全年执行数", "分值", "分数", "执行率(%)", "得分", "年度资金总额", "其中：当年财政拨款", "上年结转资金",
                           "其他资金", "年度总体目标", "预期目标", "实际完成情况", "一级指标", "二级指标", "三级指标",
                           "年度指标值", "实际完成值", "偏差原因分析及改进措施", "总分", "评分等级"}


def _self_evaluation(found: ReadSheet):
    r = Labels(found, _SELF_EVALUATION_LABELS)
    data: dict = {"表单": "自评表", "年度": r.year()}
    _fields(data, r, ["项目名称"], required=True)
    _fields(data, r, ["主管部门", "实施单位"])
    scale = r.unit_scale("项目资金", "万元")
    header = r.find("年初预算数")
    columns = {}
    if header is None:
        r.problems.append(f"{r.source}：未找到项目资金表头“年初预算数”")
    else:
        columns = {normalise(cell.text): c for c, cell in r.row_cells(header[0])}
    funding = {}
    for label, key in (("其中：当年财政拨款", "当年财政拨款"), ("上年结转资金", "上年结转资金"), ("其他资金", "其他资金")):
        position = r.find(label)
        if position is None or not columns:
            r.problems.append(f"{r.source}：未找到“{label}”一行")
            continue
        figures = {}
        for column in ("年初预算数", "全年预算数", "全年执行数"):
            owner = r.owner(position[0], columns.get(column, -1))
            figures[column] = r.amount_at(owner, scale) if owner and scale is not None else None
        funding[key] = figures
    data["项目资金"] = Commented(funding, "元；由表上的万元数换算，精确到百元" if scale == TEN_THOUSAND else "元")
    total = r.find("年度资金总额", prefix=True)
    weight_column = columns.get("分数", columns.get("分值"))  # printed 分数; forms before 2026-11 said 分值
    if total is not None and weight_column is not None:
        owner = r.owner(total[0], weight_column)
        weight = r.amount_at(owner) if owner else None
        if weight is not None:
            data["预算执行分值"] = weight
    goals, cells = {}, []
    for label in ("预期目标", "实际完成情况"):
        position = r.find(label)
        cells += r.text_cells(position) if position else []
        _block(goals, label, r.long_text(position) if position else "")
    _nothing_below_goals(r, cells)
    data["年度总体目标"] = goals or None
    rows = r.indicator_rows("一级指标", ["一级指标", "二级指标", "三级指标", ("年度指标值", "年度(/项目)指标值", "指标值"),
                                       "实际完成值", "分值", "得分", "偏差原因分析及改进措施"], stop="总分")

    def evaluation(values):
        item = {"指标值": values[3][1], "实际完成值": values[4][1]}
        for name, (position, text) in zip(("分值", "得分"), values[5:7]):
            if text and text != "-":
                amount = r.amount_at(position)
                if amount is not None:
                    item[name] = amount
        if values[7][1]:
            item["偏差原因分析及改进措施"] = values[7][1]
        return item

    data["绩效指标"] = _tree(rows, evaluation, r)
    notes = [f"{r.source}：自评表金额由万元换算为元，执行率以换算后的金额重新计算"] if scale == TEN_THOUSAND else []
    return data, r.problems, notes


_TARGET_TABLE_LABELS = {"项目名称", "项目类别", "计划开始日期", "计划完成日期", "是否含有政府购买服务", "绩效类型", "项目概况",
                        "立项依据", "项目设立的必要性", "保证项目实施的制度、措施", "项目实施计划", "总目标及阶段性目标",
                        "项目总预算(元)", "项目当年预算(元)", "同名项目上年预算额(元)", "同名项目上年预算执行数(元)",
                        "项目总预算(万元)", "项目当年预算(万元)", "同名项目上年预算额(万元)", "同名项目上年预算执行数(万元)",
                        "一级目标", "二级目标", "三级目标", "指标目标值"}


def _target_table(found: ReadSheet):
    r = Labels(found, _TARGET_TABLE_LABELS)
    data: dict = {"表单": "目标表", "年度": r.year()}
    for text in [h.text for h in found.sheet.headings] + [c.text for c in r.cells.values()]:
        match = re.match(r"\s*申报单位名称[:：]\s*(.*)$", text)
        if match and match.group(1).strip():
            data["申报单位名称"] = match.group(1).strip()
            break
    _fields(data, r, ["项目名称"], required=True)
    _fields(data, r, ["项目类别", "计划开始日期", "计划完成日期", "是否含有政府购买服务", "绩效类型"])
    for label in ("项目概况", "立项依据", "项目设立的必要性", "保证项目实施的制度、措施", "项目实施计划", "总目标及阶段性目标"):
        position = r.find(label)
        _block(data, label, r.long_text(position, beside=True) if position else "")
    figures = []
    for name in ("项目总预算", "项目当年预算", "同名项目上年预算额", "同名项目上年预算执行数"):
        if r.find(f"{name}(万元)") is not None:
            figures.append((name, r.amount(f"{name}(万元)", scale=TEN_THOUSAND)))
        else:
            figures.append((name, r.amount(f"{name}(元)")))
    _amounts(data, "资金使用情况", figures)
    rows = r.indicator_rows("一级目标", ["一级目标", "二级目标", "三级目标", "指标目标值"])
    data["绩效目标"] = _tree(rows, lambda values: values[3][1], r)
    return data, r.problems, []


def _nothing_below_goals(r: Labels, goals: list) -> None:
    """Nothing between the goals' cells and the indicator header (see ``Labels.nothing_between``)."""
    header = r.find("一级指标")
    bottoms = [cell[0] + r.cells[cell].rowspan for cell in goals if cell is not None]
    if bottoms and header is not None:
        r.nothing_between(max(bottoms), header[0], "年度总体目标与绩效指标")


_LABELS = {"申报表": _DECLARATION_LABELS, "自评表": _SELF_EVALUATION_LABELS, "目标表": _TARGET_TABLE_LABELS}


def _fields(data: dict, r: Labels, labels: list[str], required: bool = False) -> None:
    for label in labels:
        value = r.text(label, required=required)
        if value:
            data[label] = value


def _amounts(data: dict, key: str, items: list[tuple[str, Decimal | None]]) -> None:
    given = {name: value for name, value in items if value is not None}
    if given:
        data[key] = given


def _block(data: dict, key: str, text: str) -> None:
    """A long text field; nothing when the text is empty."""
    if text.strip():
        data[key] = Block(text)


def _tree(rows, leaf, r: Labels) -> dict:
    """一级 → 二级 → 三级: leaf(values), from the indicator rows; a repeated 三级 is a problem."""
    tree: dict[str, dict[str, dict]] = {}
    for values in rows:
        (_, level1), (_, level2), (position, name) = values[0], values[1], values[2]
        items = tree.setdefault(level1, {}).setdefault(level2, {})
        if name in items:
            r.problems.append(f"{r.where(position)}：三级指标“{name}”在同一二级指标下重复")
            continue
        items[name] = leaf(values)
    return tree
