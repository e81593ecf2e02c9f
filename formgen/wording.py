"""The words and number styles a unit prints differently: its own labels, its date style, whole-元 amounts.

Forms differ from district to district and year to year: 项目总体目标 for 项目总目标,
年度总目标 for 年度总体目标, dates as 2023-1-1, amounts without decimals. A unit says so
in ``formgen.yaml`` (or a project in its own file), without copying templates::

    措辞: {项目总目标: 项目总体目标, 年度总体目标: 年度总目标}
    日期格式: 2023-1-1
    金额小数位: 0

The keys of ``措辞`` are the labels the built-in templates print (``KNOWN_LABELS``); the
layout replaces each where a label cell or a heading starts with it, in all three formats.
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
from functools import cache
from pathlib import Path

TEMPLATES = Path(__file__).parent / "templates"
_LABEL_IN_TEMPLATE = re.compile(r"<(?:th|h1|p class=\"note\")[^>]*>([^<{]+)|\(\"([^\"]+)\",")
_DATE_EXAMPLE = re.compile(r"^\s*(\d{4})([-/.年])(\d{1,2})([-/.月])(\d{1,2})(日?)\s*$")


@cache
def known_labels() -> frozenset[str]:
    """Every label and title the built-in templates print, as written there (colons included)."""
    labels = set()
    for template in TEMPLATES.glob("*.html"):
        for match in _LABEL_IN_TEMPLATE.finditer(template.read_text(encoding="utf-8")):
            text = (match.group(1) or match.group(2) or "").strip()
            if text and re.search(r"[\u4e00-\u9fff]", text):
                labels.add(text)
    return frozenset(labels)


def date_style(example: str) -> str | None:
    """A date style from an example date (``2023-1-1``, ``2023-01-01``, ``2023年1月1日``, ``2023/1/1``);
    None when the example is not a date."""
    match = _DATE_EXAMPLE.match(example)
    if not match:
        return None
    _, first, month, second, day, end = match.groups()
    padded = len(month) == 2 and len(day) == 2
    return f"%Y{first}{'%m' if padded else '{m}'}{second}{'%d' if padded else '{d}'}{end}"


def format_date(value: datetime.date | None, style: str | None) -> str:
    if value is None:
        return ""
    if style is None:
        return value.isoformat()
    return value.strftime(style).replace("{m}", str(value.month)).replace("{d}", str(value.day))


def format_amount(amount: Decimal | None, decimals: int = 2) -> str:
    """``3,870,000.00``, or ``3,870,000`` with ``decimals=0`` (an amount with 角分 keeps them: a
    form never hides money)."""
    if amount is None:
        return ""
    if decimals == 0 and amount == amount.to_integral():
        return f"{amount:,.0f}"
    return f"{amount:,.2f}"


def reword(text: str, wording: dict[str, str]) -> str:
    """A label or heading in the unit's wording: the longest key it starts with, replaced."""
    for key in sorted(wording, key=len, reverse=True):
        if text.startswith(key):
            return wording[key] + text[len(key):]
    return text
