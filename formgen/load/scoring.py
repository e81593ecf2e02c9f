"""The arithmetic of a 自评表, in Decimal, as FORMS.md §2 states it.

Officers compute these by hand today and get them wrong; here each figure has one
function, and the model calls them. Rounding is half up to the cent, the way the
printed forms round (see ``money``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from ..money import HUNDRED, cents
from .targets import parse_target

MET = "达成指标"
PARTLY_MET = "部分达成指标并具有一定效果"
NOT_MET = "未达成指标且效果较差"
# The band of 分值 a score given for each verdict should fall in: [low, high) as fractions.
VERDICT_BANDS = {MET: (Decimal("0.8"), Decimal("1.0")), PARTLY_MET: (Decimal("0.6"), Decimal("0.8")),
                 NOT_MET: (Decimal(0), Decimal("0.6"))}
GRADES = ((Decimal(90), "优"), (Decimal(80), "良"), (Decimal(60), "中"), (Decimal(0), "差"))


def execution_rate(budget: Decimal, executed: Decimal) -> Decimal:
    """执行率 in percent, to the cent, from the exact amounts; nothing budgeted and nothing spent is 0.00."""
    if budget == 0:
        return Decimal("0.00")
    return cents(executed / budget * HUNDRED)


def budget_score(weight: Decimal, rate: Decimal) -> Decimal:
    """预算执行得分 = 分值 × 执行率 / 100 (the rate as shown), never above 分值."""
    return min(cents(weight * rate / HUNDRED), weight)


def grade(total: Decimal) -> str:
    """评分等级: 优 ≥ 90, 良 ≥ 80, 中 ≥ 60, 差 below."""
    return next(name for floor, name in GRADES if total >= floor)


def verdict(actual: str) -> str | None:
    """The verdict an 实际完成值 states, whatever spaces it carries, or None for a measured value."""
    text = re.sub(r"\s+", "", actual)
    return text if text in VERDICT_BANDS else None


@dataclass(frozen=True)
class Proposal:
    """A score formgen proposes for an indicator left without one, and why."""

    score: Decimal
    reason: str


def is_met(target: str, actual: str) -> bool | None:
    """Whether an 实际完成值 meets its 指标值; None when formgen cannot tell."""
    stated = verdict(actual)
    if stated is not None:
        return stated == MET
    goal, measured = parse_target(target), parse_target(actual)
    if goal is None or measured is None:
        return True if re.sub(r"\s+", "", target) == re.sub(r"\s+", "", actual) else None
    (op, wanted, unit), (_, got, got_unit) = goal, measured
    if unit and got_unit and unit != got_unit:
        return None
    return {"≥": got >= wanted, ">=": got >= wanted, ">": got > wanted, "≤": got <= wanted,
            "<=": got <= wanted, "<": got < wanted, "=": got == wanted}[op]


def propose(target: str, actual: str, weight: Decimal) -> Proposal | None:
    """A score for an indicator whose 得分 was left empty, or None when the officer must judge.

    Full marks when the target is met; for a missed numeric target 实际/目标 × 分值
    (≥, >) or 目标/实际 × 分值 (≤, <), and for a missed ``=`` whichever is below 1;
    no proposal for the two weaker verdicts.
    """
    met = is_met(target, actual)
    if met:
        return Proposal(weight, "已达成指标，按满分")
    if met is None or verdict(actual) is not None:
        return None
    op, wanted, _ = parse_target(target)
    _, got, _ = parse_target(actual)
    below = op in ("≤", "<=", "<") or (op == "=" and got > wanted)  # smaller was better
    if below:
        ratio, formula = (wanted / got if got else Decimal(0)), "目标/实际 × 分值"
    else:
        ratio, formula = (got / wanted if wanted else Decimal(0)), "实际/目标 × 分值"
    return Proposal(min(cents(ratio * weight), weight), f"未达成指标，按 {formula}")


def score_in_band(actual: str, weight: Decimal, score: Decimal) -> bool:
    """Whether a score given for a verdict falls in that verdict's band of 分值."""
    stated = verdict(actual)
    if stated is None or weight == 0:
        return True
    low, high = VERDICT_BANDS[stated]
    share = score / weight
    return low <= share <= high if stated == MET else low <= share < high
