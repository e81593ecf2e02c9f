"""``formgen new 自评表 --from 课题研究.yaml``: start a 自评表 from the 申报表 of its year.

The 自评表 of year N evaluates the budget of year N against the targets the 申报表
of year N declared (filed in N−1; the 自评表 is filed in N+1), so the draft keeps
the 申报表's year and reuses its project fields, indicators and targets. What only
the officer knows (全年执行数, 实际完成值, 实际完成情况) is left empty and marked 待填写;
分值 is suggested by the usual weights, so the file is a valid project once those
fields are filled.
"""

from __future__ import annotations

import os
from decimal import ROUND_DOWN, Decimal
from pathlib import Path

from ..errors import FormgenError
from ..files import display_path, os_reason, write_text_atomically
from ..load import SETTINGS_FILE
from ..load.model import Declaration
from ..load.rules import INDICATOR_GROUP, PLACEHOLDER, USUAL_WEIGHTS
from ..money import CENT
from ..workspace import check
from ..yamlwrite import Block, Commented, dump

INDICATOR_WEIGHT_TOTAL = Decimal(90)  # 100 less the usual 预算执行分值 of 10
_UNUSUAL_LEVEL_WEIGHT = Decimal(10)


class DraftRefused(FormgenError):
    """The draft cannot be made: the output exists, or the source is no 申报表."""


def new_self_evaluation(source: Path, output: Path, force: bool = False):
    """Write a 自评表 draft of every 申报表 in ``source`` to ``output``. Returns the check report
    of ``source`` when it has errors (nothing is written then), else None."""
    _refuse_to_replace(source, output, force)
    report = check([source])
    if not report.ok:
        return report
    declarations = [form.loaded.project for form in report.done if form.loaded.project.form == "申报表"]
    if len(declarations) != len(report.done) or not declarations:
        raise DraftRefused(f"{display_path(source)} 中应为申报表")
    relative = os.path.relpath(source.absolute(), output.absolute().parent)
    text = "---\n".join(self_evaluation_text(project, relative) for project in declarations)
    try:
        write_text_atomically(output, text)
    except OSError as error:
        raise DraftRefused(f"无法写入 {display_path(output)}：{os_reason(error)}") from None
    return None


def _refuse_to_replace(source: Path, output: Path, force: bool) -> None:
    """The draft never takes the place of a folder, of its own 申报表 or of a folder's settings;
    another file only with ``force``."""
    where = display_path(output)
    if output.is_dir():
        raise DraftRefused(f"{where} 是一个目录：请在 -o 后写要生成的文件名，如 {display_path(output / '课题研究-自评.yaml')}")
    if output.name.casefold() == SETTINGS_FILE:
        raise DraftRefused(f"{where} 是本目录的设置文件，不能写入自评表：请换一个文件名")
    if output.exists() and output.samefile(source):
        raise DraftRefused(f"{where} 就是 --from 的申报表：自评表须另存为一个文件，请换一个文件名")
    if output.exists() and not force:
        raise DraftRefused(f"{where} 已存在；如要覆盖请加 --force")


def suggested_weights(tree: dict) -> dict[tuple[str, str, str], Decimal]:
    """分值 for each indicator: the usual 一级 weights (产出 50, 效益 30, 满意度 10, scaled to 90
    over the levels present), split evenly within each, to the cent, remainders on the last."""
    groups: dict[str, list[tuple[str, str, str]]] = {}
    for level1, level2s in tree.items():
        for level2, items in level2s.items():
            for name in items:
                groups.setdefault(INDICATOR_GROUP.get(level1, level1), []).append((level1, level2, name))
    base = {g: USUAL_WEIGHTS.get(g, _UNUSUAL_LEVEL_WEIGHT) for g in groups}
    group_weights = _split(INDICATOR_WEIGHT_TOTAL, [base[g] for g in groups])
    weights = {}
    for keys, total in zip(groups.values(), group_weights):
        weights.update(zip(keys, _split(total, [Decimal(1)] * len(keys))))
    return weights


def _split(total: Decimal, shares: list[Decimal]) -> list[Decimal]:
    """``total`` in proportion to ``shares``, each rounded down to the cent, the last taking the rest."""
    whole = sum(shares, Decimal(0))
    parts = [(total * share / whole).quantize(CENT, rounding=ROUND_DOWN) for share in shares[:-1]]
    return parts + [total - sum(parts, Decimal(0))]


def self_evaluation_text(declaration: Declaration, relative: str) -> str:
    """The YAML of a 自评表 draft of the year of ``declaration``, which ``relative`` (from the
    draft's folder) names so that checks can hold the two against each other."""
    f = declaration.funding
    source = Path(relative).as_posix()
    data: dict = {"表单": "自评表", "年度": declaration.year, "项目名称": declaration.name, "申报表": source}
    for label, value in (("主管部门", declaration.department), ("实施单位", declaration.implementer)):
        if value:
            data[label] = value
    funding = {}
    for label, budget in (("当年财政拨款", f.annual_appropriation), ("上年结转资金", f.carried_over),
                          ("其他资金", f.annual_other)):
        planned = Commented(None, PLACEHOLDER) if budget is None else budget
        funding[label] = {"年初预算数": planned, "全年预算数": planned, "全年执行数": Commented(None, PLACEHOLDER)}
    data["项目资金"] = Commented(funding, "元；全年预算数如有调整请修改")
    data["年度总体目标"] = {"预期目标": Block(declaration.annual_goal) if declaration.annual_goal else None,
                      "实际完成情况": Commented(None, PLACEHOLDER)}
    weights = suggested_weights(declaration.indicators)
    data["绩效指标"] = {level1: {level2: {name: {
        "指标值": target, "实际完成值": Commented(None, PLACEHOLDER), "分值": weights[level1, level2, name],
        "得分": None, "偏差原因分析及改进措施": None}
        for name, target in items.items()} for level2, items in level2s.items()}
        for level1, level2s in declaration.indicators.items()}
    header = [
        f"formgen new 自评表：由 {source}（{declaration.year} 年度申报表）生成的 {declaration.year} 年度自评表草稿。",
        "标有「待填写」的字段须填写。实际完成值写实测值（如 7.00(次)）或",
        "达成指标 / 部分达成指标并具有一定效果 / 未达成指标且效果较差。",
        "得分可留空：formgen 按完成情况建议并在生成时列出。",
        "分值按常用权重建议，可调整；指标分值合计加预算执行分值（10）须为 100。",
    ]
    return dump(data, header)
