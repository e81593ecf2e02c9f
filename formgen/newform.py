"""Start a 自评表 from last year's 申报表: ``formgen new 自评表 --from 课题研究.yaml``.

The self-evaluation of year N+1 reuses the project fields, indicators and targets
declared for year N. What only the officer knows (全年执行数, 实际完成值, 实际完成情况)
is left empty and marked 待填写; 分值 is suggested by the usual weights, so the file
is a valid project once those fields are filled.
"""

from __future__ import annotations

import json
from decimal import ROUND_DOWN, Decimal

import yaml

from .model import Declaration
from .rules import USUAL_WEIGHTS

TO_FILL = "  # 待填写"
INDICATOR_WEIGHT_TOTAL = Decimal(90)  # 100 less the usual 预算执行分值 of 10
_GROUP_OF = {"成本指标": "产出指标"}  # 成本 shares 产出's weight
_UNUSUAL_LEVEL_WEIGHT = Decimal(10)


def scalar(text: str) -> str:
    """A one-line YAML scalar that formgen reads back as exactly ``text``."""
    try:
        plain_ok = yaml.safe_load(f"k: {text}") == {"k": text}
    except yaml.YAMLError:
        plain_ok = False
    return text if plain_ok and text.strip() == text and text else json.dumps(text, ensure_ascii=False)


def suggested_weights(tree: dict) -> dict[tuple[str, str, str], Decimal]:
    """分值 for each indicator: the usual 一级 weights (产出 50, 效益 30, 满意度 10, scaled to 90
    over the levels present), split evenly within each, to the cent, remainders on the last."""
    groups: dict[str, list[tuple[str, str, str]]] = {}
    for level1, level2s in tree.items():
        for level2, items in level2s.items():
            for name in items:
                groups.setdefault(_GROUP_OF.get(level1, level1), []).append((level1, level2, name))
    base = {g: USUAL_WEIGHTS.get(g, _UNUSUAL_LEVEL_WEIGHT) for g in groups}
    group_weights = _split(INDICATOR_WEIGHT_TOTAL, [base[g] for g in groups])
    weights = {}
    for keys, total in zip(groups.values(), group_weights):
        weights.update(zip(keys, _split(total, [Decimal(1)] * len(keys))))
    return weights


def _split(total: Decimal, shares: list[Decimal]) -> list[Decimal]:
    """``total`` in proportion to ``shares``, each rounded down to the cent, the last taking the rest."""
    whole = sum(shares, Decimal(0))
    parts = [(total * share / whole).quantize(Decimal("0.01"), rounding=ROUND_DOWN) for share in shares[:-1]]
    return parts + [total - sum(parts, Decimal(0))]


def self_evaluation_text(declaration: Declaration, source: str) -> str:
    """The YAML of a 自评表 draft for the year after ``declaration``."""
    f = declaration.funding
    lines = [
        f"# formgen new 自评表：由 {source}（{declaration.year} 年度申报表）生成的 {declaration.year + 1} 年度自评表草稿。",
        "# 标有「待填写」的字段须填写。实际完成值写实测值（如 7.00(次)）或",
        "# 达成指标 / 部分达成指标并具有一定效果 / 未达成指标且效果较差。",
        "# 得分可留空：formgen 按完成情况建议并在生成时列出。",
        "# 分值按常用权重建议，可调整；指标分值合计加预算执行分值（10）须为 100。",
        "表单: 自评表",
        f"年度: {declaration.year + 1}",
        f"项目名称: {scalar(declaration.name)}",
    ]
    for label, value in (("主管部门", declaration.department), ("实施单位", declaration.implementer)):
        if value:
            lines.append(f"{label}: {scalar(value)}")
    lines.append("项目资金:  # 元；全年预算数如有调整请修改")
    for label, budget in (("当年财政拨款", f.annual_appropriation), ("上年结转资金", f.carried_over),
                          ("其他资金", f.annual_other)):
        amount = "" if budget is None else f" {budget}"
        mark = TO_FILL if budget is None else ""
        lines += [f"  {label}:", f"    年初预算数:{amount}{mark}", f"    全年预算数:{amount}{mark}",
                  f"    全年执行数:{TO_FILL}"]
    lines.append("年度总体目标:")
    lines += text_block("预期目标", declaration.annual_goal, 2)
    lines.append(f"  实际完成情况:{TO_FILL}")
    lines.append("绩效指标:")
    weights = suggested_weights(declaration.indicators)
    for level1, level2s in declaration.indicators.items():
        lines.append(f"  {scalar(level1)}:")
        for level2, items in level2s.items():
            lines.append(f"    {scalar(level2)}:")
            for name, target in items.items():
                lines += [
                    f"      {scalar(name)}:",
                    f"        指标值: {scalar(target)}",
                    f"        实际完成值:{TO_FILL}",
                    f"        分值: {weights[level1, level2, name]}",
                    "        得分:",
                    "        偏差原因分析及改进措施:",
                ]
    return "\n".join(lines) + "\n"


def text_block(key: str, text: str | None, indent: int = 0) -> list[str]:
    """A text as a literal block (kept line for line), or quoted when a block cannot hold it."""
    pad = " " * indent
    if not text:
        return [f"{pad}{key}:"]
    if text[0].isspace():
        return [f"{pad}{key}: {json.dumps(text, ensure_ascii=False)}"]
    return [f"{pad}{key}: |"] + [f"{pad}  {line}" for line in text.split("\n")]
