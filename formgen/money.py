"""Amounts and points: exact ``Decimal`` arithmetic, rounded and shown the way the forms print them.

Rounding is half up to the cent, as the printed forms round (26.20 / 30.20 万元 →
86.75 %, → 8.68 points). Amounts are kept in 元; a 自评表 shows them in 万元.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
HUNDRED = Decimal(100)
TEN_THOUSAND = Decimal(10000)  # 元 in a 万元


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def wan_yuan(yuan: Decimal) -> Decimal:
    """An amount in 元 shown in 万元 with two decimals."""
    return cents(yuan / TEN_THOUSAND)


def money(amount: Decimal | None) -> str:
    """``3079000`` → ``3,079,000.00``; an amount left out stays an empty cell."""
    return "" if amount is None else f"{amount:,.2f}"
