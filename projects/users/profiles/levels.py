"""Seller levels: the thresholds and the rule that picks a level. Pure, so settings can build the
thresholds from the environment and tests can call it with any numbers (docs/trust-signals.md)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

# Lowest first: a seller holds the highest level whose every threshold they meet ("new" has none).
LEVELS = ("new", "level_one", "level_two", "top_rated")

DEFAULTS = {
    "level_one": {"min_orders": 10, "min_rating": "4.4", "min_on_time_rate": "0.90", "min_completion_rate": "0.90",
                  "min_account_age_days": 60},
    "level_two": {"min_orders": 50, "min_rating": "4.6", "min_on_time_rate": "0.90", "min_completion_rate": "0.90",
                  "min_account_age_days": 120},
    "top_rated": {"min_orders": 100, "min_rating": "4.7", "min_on_time_rate": "0.95", "min_completion_rate": "0.95",
                  "min_account_age_days": 180},
}


@dataclass(frozen=True)
class Thresholds:
    min_orders: int
    min_rating: Decimal
    min_on_time_rate: Decimal
    min_completion_rate: Decimal
    min_account_age_days: int


@dataclass(frozen=True)
class SellerRecord:
    """What a level is judged on. Rates as counts, so a threshold is compared exactly (9 of 10 on time
    meets 0.90; 0.899... does not round up to it)."""

    completed_orders: int
    settled_orders: int
    timed_orders: int
    on_time_orders: int
    rating_avg: Decimal | None
    account_age_days: float


def level_thresholds_from_env(env) -> dict[str, Thresholds]:
    """``{level: Thresholds}`` from the defaults, each overridable by ``MARKETPLACE_<LEVEL>_<NAME>``."""
    levels = {}
    for level, defaults in DEFAULTS.items():
        values = {}
        for name, default in defaults.items():
            variable = f"MARKETPLACE_{level.upper()}_{name.upper()}"
            values[name] = env.int(variable, default=default) if isinstance(default, int) \
                else Decimal(env.str(variable, default=default))
        levels[level] = Thresholds(**values)
    return levels


def meets(record: SellerRecord, thresholds: Thresholds) -> bool:
    """A seller with no published review, or no order whose timeliness or outcome is known yet, meets a
    rating or rate threshold only when it is 0."""
    rating = record.rating_avg if record.rating_avg is not None else Decimal(0)
    return (record.completed_orders >= thresholds.min_orders
            and rating >= thresholds.min_rating
            and _rate_meets(record.on_time_orders, record.timed_orders, thresholds.min_on_time_rate)
            and _rate_meets(record.completed_orders, record.settled_orders, thresholds.min_completion_rate)
            and record.account_age_days >= thresholds.min_account_age_days)


def _rate_meets(part: int, whole: int, minimum: Decimal) -> bool:
    if whole == 0:
        return minimum <= 0
    return Decimal(part) >= minimum * whole


def level_of(record: SellerRecord, thresholds: dict[str, Thresholds]) -> str:
    level = LEVELS[0]
    for candidate in LEVELS[1:]:
        if not meets(record, thresholds[candidate]):
            break
        level = candidate
    return level
