"""Averages kept from facts other services report (reviews, completed orders)."""

from __future__ import annotations

from decimal import Decimal


def rounded_average(total: int, count: int) -> Decimal | None:
    """``total / count`` to two places (a rating shown as "4.33"), or None before the first fact."""
    if not count:
        return None
    return (Decimal(total) / Decimal(count)).quantize(Decimal("0.01"))
