"""How trust signals are computed from the facts (docs/trust-signals.md): what one order counts for,
the response time of a set of conversations, and what others see of a user's presence. No writes."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

PRESENCE_ROUNDING = timedelta(minutes=5)


@dataclass(frozen=True)
class OrderCounts:
    """What orders add to a seller's ``SellerTally``; summed over their facts, or moved by the difference
    one event makes to one order."""

    completed_orders: int = 0
    settled_orders: int = 0
    timed_orders: int = 0
    on_time_orders: int = 0

    def __add__(self, other: OrderCounts) -> OrderCounts:
        return OrderCounts(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))

    def __sub__(self, other: OrderCounts) -> OrderCounts:
        return OrderCounts(*(getattr(self, f.name) - getattr(other, f.name) for f in fields(self)))

    def __bool__(self) -> bool:
        return any(getattr(self, f.name) for f in fields(self))

    def as_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def counts_of(fact) -> OrderCounts:
    """One ``OrderFact``: completed; settled (completed, or cancelled after payment: a cancellation before
    the buyer paid is not the seller's doing); timed (its first delivery is known, or it was cancelled
    undelivered after its due time) and then on time or not."""
    completed = fact.completed_at is not None
    cancelled = fact.cancelled_at is not None and not completed
    settled = completed or (cancelled and fact.paid)
    timed = on_time = False
    if fact.due_at is not None:
        if fact.first_delivered_at is not None:
            timed, on_time = True, fact.first_delivered_at <= fact.due_at
        elif cancelled and fact.cancelled_at > fact.due_at:
            timed = True
    return OrderCounts(int(completed), int(settled), int(timed), int(on_time))


def rate(part: int, whole: int) -> Decimal | None:
    """``part / whole`` with two places, rounded down: the shown rate never looks better than the exact one
    the level thresholds are compared with."""
    if not whole:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(Decimal("0.01"), rounding=ROUND_DOWN)


def median_response_hours(waits: list[timedelta]) -> Decimal | None:
    """The median of the waits for a first reply, in hours with one place (None when nothing was answered)."""
    if not waits:
        return None
    seconds = statistics.median(wait.total_seconds() for wait in waits)
    return (Decimal(str(seconds)) / 3600).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def rounded_down(moment: datetime, step: timedelta = PRESENCE_ROUNDING) -> datetime:
    """``moment`` to the step below (12:34:56 -> 12:30:00): a profile does not tell the minute one left."""
    epoch = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    return epoch + ((moment - epoch) // step) * step


def shown_presence(*, online: bool | None, changed_at: datetime | None, now: datetime
                   ) -> tuple[bool, datetime | None]:
    """``(online, last_seen_at)`` as the profile shows them: someone online was last seen now; someone
    never seen on chat is offline with no time."""
    if online:
        return True, rounded_down(now)
    return False, rounded_down(changed_at) if changed_at is not None else None
