"""Indicator values: reading ``≥3.00(人)`` as a comparison, a number and a unit."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

# A target is a comparison and a number with an optional unit: `≥3.00(人)`, `=100(%)`, `120`.
_NUMERIC_TARGET = re.compile(r"^(?P<op>[≥≤><=]|>=|<=)?\s*(?P<number>[+-]?\d[\d,]*(\.\d+)?)\s*(?P<unit>\(.*\)|（.*）|%|[^\d\s.,()（）][^()（）]*)?$")
_LOOKS_NUMERIC = re.compile(r"^([≥≤><=]|[+-]?\d)")
# Full-width comparison signs mean their ASCII twins: `＞4(次)` and `>4(次)` compare alike.
_FULL_WIDTH = str.maketrans({"＞": ">", "＜": "<", "＝": "="})


def looks_numeric(text: str) -> bool:
    """Whether a value starts like a number or a comparison, so it ought to parse."""
    return bool(_LOOKS_NUMERIC.match(text.translate(_FULL_WIDTH)))


def parse_target(text: str) -> tuple[str, Decimal, str] | None:
    """Comparison, number and unit of a numeric target, or None for a word such as ``及时``."""
    match = _NUMERIC_TARGET.match(text.strip().translate(_FULL_WIDTH))
    if not match:
        return None
    try:
        number = Decimal(match.group("number").replace(",", ""))
    except InvalidOperation:
        return None
    return match.group("op") or "=", number, (match.group("unit") or "").strip("()（）")
