"""Checks that need the whole form: sums, dates, the indicator tree, indicator values.

Field types are checked by the model; what is checked here are the relations
between fields, the mistakes officers make when they retype a form by hand.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from .errors import Problem
from .model import Declaration

# The indicator catalogue of each layout year: 一级 → its 二级 names.
_BENEFITS = ("经济效益指标", "社会效益指标", "生态效益指标", "可持续影响指标")
_SATISFACTION = ("服务对象满意度指标",)
CATALOGUE: dict[int, dict[str, tuple[str, ...]]] = {
    2023: {
        "产出指标": ("数量指标", "质量指标", "时效指标", "成本指标"),
        "效益指标": _BENEFITS,
        "满意度指标": _SATISFACTION,
    },
    2024: {
        "成本指标": ("经济成本指标", "社会成本指标", "生态环境成本指标"),
        "产出指标": ("数量指标", "质量指标", "时效指标"),
        "效益指标": _BENEFITS,
        "满意度指标": _SATISFACTION,
    },
}


def catalogue_for(year: int) -> dict[str, tuple[str, ...]]:
    """The catalogue in force for ``year``: the newest one not after it (2023 before that)."""
    years = [y for y in sorted(CATALOGUE) if y <= year]
    return CATALOGUE[years[-1] if years else min(CATALOGUE)]


def check(loaded) -> list[Problem]:
    """Every problem of a loaded project; errors first, in the order of the form."""
    project = loaded.project
    problems: list[Problem] = []
    if isinstance(project, Declaration):
        problems += _funding_sums(loaded, project)
        problems += _dates(loaded, project)
    problems += _indicator_tree(loaded, project.indicators, project.year)
    problems += _indicator_values(loaded, project.indicators)
    return sorted(problems, key=lambda p: not p.is_error)


def _funding_sums(loaded, project: Declaration) -> list[Problem]:
    f = project.funding
    sums = [
        ("项目资金总额", f.total, (("财政资金", f.fiscal), ("其他资金", f.other))),
        ("年度资金申请总额", f.annual_total,
         (("当年财政拨款", f.annual_appropriation), ("上年结转资金", f.carried_over), ("年度其他资金", f.annual_other))),
    ]
    problems = []
    for total_name, total, parts in sums:
        if total is None or any(amount is None for _, amount in parts):
            continue  # only a sum whose every part is given can be checked
        computed = sum((amount for _, amount in parts), Decimal(0))
        if computed != total:
            formula = " + ".join(name for name, _ in parts)
            problems.append(loaded.problem(
                ("项目资金", total_name),
                f"{total_name} {_yuan(total)} 不等于 {formula} = {_yuan(computed)}"))
    return problems


def _yuan(amount: Decimal) -> str:
    return f"{amount:,.2f}"


def _dates(loaded, project: Declaration) -> list[Problem]:
    problems = []
    if project.start and project.end and project.start > project.end:
        problems.append(loaded.problem(
            ("计划完成日期",), f"计划完成日期 {project.end} 早于计划开始日期 {project.start}"))
    if project.period and project.period[0] > project.period[1]:
        problems.append(loaded.problem(("项目总目标期间",), "起始年度晚于结束年度"))
    return problems


def _indicator_tree(loaded, tree: dict, year: int) -> list[Problem]:
    problems = []
    root = ("绩效指标",)
    if not tree:
        return [loaded.problem(root, "至少要有一个一级指标")]
    catalogue = catalogue_for(year)
    for level1, groups in tree.items():
        if not any(groups.values()):
            problems.append(loaded.problem(root + (level1,), f"一级指标 {level1} 下没有三级指标"))
        for level2, items in groups.items():
            if not items:
                problems.append(loaded.problem(root + (level1, level2), f"二级指标 {level2} 下没有三级指标"))
        if level1 not in catalogue:
            problems.append(loaded.problem(
                root + (level1,),
                f"{year} 年度的一级指标通常为 {'、'.join(catalogue)}，请确认 {level1} 无误", is_error=False))
            continue
        for level2 in groups:
            if level2 not in catalogue[level1]:
                problems.append(loaded.problem(
                    root + (level1, level2),
                    f"{level1} 下的二级指标通常为 {'、'.join(catalogue[level1])}，请确认 {level2} 无误",
                    is_error=False))
    return problems


# A target is a comparison and a number with an optional unit: `≥3.00(人)`, `=100(%)`, `120`.
_NUMERIC_TARGET = re.compile(r"^(?P<op>[≥≤><=]|>=|<=)?\s*(?P<number>[+-]?\d[\d,]*(\.\d+)?)\s*(?P<unit>\(.*\)|（.*）|%|[^\d\s.,()（）][^()（）]*)?$")
_LOOKS_NUMERIC = re.compile(r"^([≥≤><=]|[+-]?\d)")


def parse_target(text: str) -> tuple[str, Decimal, str] | None:
    """Comparison, number and unit of a numeric target, or None for a word such as ``及时``."""
    match = _NUMERIC_TARGET.match(text.strip())
    if not match:
        return None
    try:
        number = Decimal(match.group("number").replace(",", ""))
    except InvalidOperation:
        return None
    return match.group("op") or "=", number, (match.group("unit") or "").strip("()（）")


def _indicator_values(loaded, tree: dict) -> list[Problem]:
    problems = []
    for level1, groups in tree.items():
        for level2, items in groups.items():
            for name, value in items.items():
                if _LOOKS_NUMERIC.match(value) and parse_target(value) is None:
                    problems.append(loaded.problem(
                        ("绩效指标", level1, level2, name),
                        f'指标值 "{value}" 像数值但无法读出，应如 ≥3.00(人)、=100(%)', is_error=False))
    return problems
