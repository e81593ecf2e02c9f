"""Checks that need the whole form: sums, dates, the indicator tree, indicator values.

Field types are checked by the model; what is checked here are the relations
between fields, the mistakes officers make when they retype a form by hand.
"""

from __future__ import annotations

from decimal import Decimal

from ..errors import Problem
from ..money import money
from . import scoring
from .messages import shown
from .model import Declaration, SelfEvaluation, TargetTable
from .targets import looks_numeric, parse_target

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


# The 2020 目标表 named its levels 目标 and used a catalogue of its own.
TARGET_TABLE_CATALOGUE: dict[str, tuple[str, ...]] = {
    "投入与管理": ("投入管理", "财务管理", "实施管理"),
    "产出目标": ("数量", "质量", "时效", "成本"),
    "效果目标": ("经济效益", "社会效益", "生态效益", "满意度"),
    "影响力目标": ("长效管理", "人力资源", "配套设施", "信息共享", "档案管理"),
}


def catalogue_for(year: int, form: str = "申报表") -> dict[str, tuple[str, ...]]:
    """The catalogue in force for a form of ``year``: the newest one not after it (2023 before that)."""
    if form == "目标表":
        return TARGET_TABLE_CATALOGUE
    years = [y for y in sorted(CATALOGUE) if y <= year]
    return CATALOGUE[years[-1] if years else min(CATALOGUE)]


PLACEHOLDER = "待填写"  # what new drafts write where only the officer knows the answer
# ``formgen init`` writes 上海市某某局 and the like where the unit's own names go: "某某" (so-and-so) is
# in no real name, and a form would print it.
EXAMPLE_NAME = "某某"
NAME_FIELDS = ("主管部门", "实施单位", "申报单位名称", "汇总表标题")


def example_name(key: str, value) -> str | None:
    """A warning when ``value`` of field ``key`` is still an example name, else None."""
    if key in NAME_FIELDS and isinstance(value, str) and EXAMPLE_NAME in value:
        return f"仍是示例名称「{value.strip()}」：请改为本单位实际的名称"
    return None


def check(loaded) -> list[Problem]:
    """Every problem of a loaded project; errors first, in the order of the form."""
    project = loaded.project
    problems: list[Problem] = _placeholders(loaded)
    if isinstance(project, Declaration):
        problems += _funding_sums(loaded, project)
    if isinstance(project, (Declaration, TargetTable)):
        problems += _dates(loaded, project)
    if isinstance(project, SelfEvaluation):
        problems += _evaluation_funding(loaded, project)
        problems += _evaluation_scores(loaded, project)
        problems += _evaluation_totals(loaded, project)
    root = "绩效目标" if project.form == "目标表" else "绩效指标"
    problems += _indicator_tree(loaded, project.indicators, catalogue_for(project.year, project.form), project.year, root)
    problems += _indicator_values(loaded, project.indicators, root)
    return sorted(problems, key=lambda p: not p.is_error)


def _placeholders(loaded) -> list[Problem]:
    """An error for each 待填写 still standing in for a value or an indicator's name: a draft
    prints what it says, so it must not pass as a finished form. A warning for each example name
    of ``formgen init`` (its sample forms build: a first look at a workspace should work)."""
    data = loaded.document.data
    inherited = {key: value for key, value in loaded.settings.defaults.items() if key not in data}
    fields = {**data, **inherited}
    return ([loaded.problem(path, message) for path, message in _unfilled(fields, ())]
            + [loaded.problem((key,), message, "warning") for key, value in fields.items()
               if (message := example_name(key, value))])


def _unfilled(node, path: tuple[str, ...]):
    if isinstance(node, dict):
        for key, value in node.items():
            if isinstance(key, str) and key.startswith(PLACEHOLDER):
                yield path + (key,), f"名称尚未填写：请把「{key}」改为实际的名称"
            yield from _unfilled(value, path + (str(key),))
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from _unfilled(item, path + (str(index),))
    elif isinstance(node, str) and node.strip() == PLACEHOLDER:
        yield path, f"尚未填写：请把「{PLACEHOLDER}」改为实际内容"
    elif isinstance(node, str) and (node.strip().startswith(PLACEHOLDER) or node.strip().endswith(PLACEHOLDER)):
        # typed beside the placeholder, which would print with it (a text that only mentions it passes)
        yield path, f"仍留着「{PLACEHOLDER}」：请删去它，只留实际内容"


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
                f"{total_name} {money(total)} 不等于 {formula} = {money(computed)}"))
    return problems


def _dates(loaded, project) -> list[Problem]:
    problems = []
    if project.start and project.end and project.start > project.end:
        problems.append(loaded.problem(
            ("计划完成日期",), f"计划完成日期 {project.end} 早于计划开始日期 {project.start}"))
    if getattr(project, "period", None) and project.period[0] > project.period[1]:
        problems.append(loaded.problem(("项目总目标期间",), "起始年度晚于结束年度"))
    return problems


MAX_INDICATORS = 500  # the longest published form has 76; a bound keeps layout time in hand


def _indicator_tree(loaded, tree: dict, catalogue: dict, year: int, key: str) -> list[Problem]:
    problems = []
    root = (key,)
    if not tree:
        return [loaded.problem(root, "至少要有一个一级指标")]
    count = sum(len(items) for groups in tree.values() for items in groups.values())
    if count > MAX_INDICATORS:
        return [loaded.problem(root, f"三级指标过多（{count} 个），一张表最多 {MAX_INDICATORS} 个，请拆分项目")]
    for level1, groups in tree.items():
        if not any(groups.values()):
            problems.append(loaded.problem(root + (level1,), f"一级指标 {level1} 下没有三级指标"))
        for level2, items in groups.items():
            if not items:
                problems.append(loaded.problem(root + (level1, level2), f"二级指标 {level2} 下没有三级指标"))
        if level1 not in catalogue:
            problems.append(loaded.problem(
                root + (level1,),
                f"{year} 年度的一级指标通常为 {'、'.join(catalogue)}，请确认 {level1} 无误", level="warning"))
            continue
        for level2 in groups:
            if level2 not in catalogue[level1]:
                problems.append(loaded.problem(
                    root + (level1, level2),
                    f"{level1} 下的二级指标通常为 {'、'.join(catalogue[level1])}，请确认 {level2} 无误",
                    level="warning"))
    return problems


def _indicator_values(loaded, tree: dict, key: str) -> list[Problem]:
    problems = []
    for level1, groups in tree.items():
        for level2, items in groups.items():
            for name, item in items.items():
                value = item if isinstance(item, str) else item.target
                if looks_numeric(value) and parse_target(value) is None:
                    problems.append(loaded.problem(
                        (key, level1, level2, name),
                        f'指标值 "{shown(value)}" 像数值但无法读出，应如 ≥3.00(人)、=100(%)', level="warning"))
    return problems


# The usual weights of the 一级 indicators in a 自评表 (成本指标 counts with 产出指标).
USUAL_WEIGHTS = {"产出指标": Decimal(50), "效益指标": Decimal(30), "满意度指标": Decimal(10)}
INDICATOR_GROUP = {"成本指标": "产出指标"}  # 成本 shares 产出's weight
_WEIGHT_TOLERANCE = Decimal(10)


def _mismatch(loaded, path, name: str, given, computed) -> list[Problem]:
    """An error when a figure the user typed differs from the computed one, showing both."""
    if given is None or given == computed:
        return []
    return [loaded.problem(path, f"{name} 填写为 {shown(given)}，按规则计算应为 {computed}（此项由 formgen 计算，可删去不填）")]


def _evaluation_funding(loaded, project: SelfEvaluation) -> list[Problem]:
    problems = []
    for label, key, line in project.funding.rows():
        path = ("项目资金", key)
        if line.annual == 0 and line.executed > 0:
            problems.append(loaded.problem(path + ("全年执行数",), f"{label} 全年预算数为 0，全年执行数却为 {money(line.executed)}"))
        problems += _mismatch(loaded, path + ("执行率",), f"{label} 执行率", line.rate_given, line.rate)
    typed = project.funding.total_given
    if typed is not None:
        total = project.funding.total
        for attribute, name in (("initial", "年初预算数"), ("annual", "全年预算数"), ("executed", "全年执行数")):
            problems += _mismatch(loaded, ("项目资金", "年度资金总额", name), f"年度资金总额 {name}",
                                  getattr(typed, attribute), getattr(total, attribute))
        problems += _mismatch(loaded, ("项目资金", "年度资金总额", "执行率"), "年度资金总额 执行率", typed.rate_given, total.rate)
    problems += _mismatch(loaded, ("预算执行得分",), "预算执行得分", project.budget_score_given, project.budget_score)
    return problems


def _evaluation_scores(loaded, project: SelfEvaluation) -> list[Problem]:
    problems = []
    for level1, level2, name, item in project.evaluations():
        path = ("绩效指标", level1, level2, name)
        if item.score_given is not None and item.score_given > item.weight:
            problems.append(loaded.problem(path + ("得分",), f"得分 {item.score_given} 超过分值 {item.weight}"))
        elif item.score_given is not None and not scoring.score_in_band(item.actual, item.weight, item.score_given):
            problems.append(loaded.problem(
                path + ("得分",), f"“{scoring.verdict(item.actual)}” 的得分通常在分值的 {_band(item.actual)}，"
                                 f"现为 {item.score_given}/{item.weight}", level="warning"))
        if item.score_given is None:
            proposal = item.proposal
            if proposal is None:
                why = (f"“{scoring.verdict(item.actual)}” 须由评价人判断得分" if scoring.verdict(item.actual)
                       else f"无法比较 指标值 {shown(item.target)} 与 实际完成值 {shown(item.actual)}")
                problems.append(loaded.problem(path + ("得分",), f"{why}，请填写得分"))
            else:
                problems.append(loaded.problem(
                    path + ("得分",), f"未填写得分，{proposal.reason}建议 {proposal.score:.2f} 分，请核对", level="note"))
        if item.met is False and not item.reason:
            problems.append(loaded.problem(path, "未达成指标，请填写 偏差原因分析及改进措施", level="warning"))
    return problems


def _band(actual: str) -> str:
    low, high = scoring.VERDICT_BANDS[scoring.verdict(actual)]
    return f"{low * 100:.0f}%–{high * 100:.0f}%"


def _evaluation_totals(loaded, project: SelfEvaluation) -> list[Problem]:
    problems = []
    if project.total_weight != 100:
        problems.append(loaded.problem(
            ("绩效指标",), f"各指标分值之和加预算执行分值 {project.budget_weight} 为 {project.total_weight}，应为 100"))
    weights: dict[str, Decimal] = {}
    for level1, _, _, item in project.evaluations():
        group = INDICATOR_GROUP.get(level1, level1)
        weights[group] = weights.get(group, Decimal(0)) + item.weight
    far = [f"{name} {weights.get(name, 0)}（通常 {usual}）" for name, usual in USUAL_WEIGHTS.items()
           if abs(weights.get(name, Decimal(0)) - usual) > _WEIGHT_TOLERANCE]
    if far:
        problems.append(loaded.problem(("绩效指标",), "一级指标分值与常用权重相差较大：" + "，".join(far), level="note"))
    if project.total_score is not None:
        problems += _mismatch(loaded, ("总分",), "总分", project.total_given, project.total_score)
        problems += _mismatch(loaded, ("评分等级",), "评分等级", project.grade_given, project.grade)
    return problems
