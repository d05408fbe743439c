"""What the auth service does when the user service speaks: parse the event, call a service.

Each handler runs inside the consumer's transaction with the inbox row (marketplace_libs.events.
consumer.apply_events), so a redelivered event is applied once; the rules live in services.py.
"""

from __future__ import annotations

from datetime import datetime

from marketplace_libs.events.envelope import Event
from marketplace_libs.events.registry import handles

from . import services


def _moment(value: str) -> datetime:
    # The catalogue has checked the RFC 3339 format (with its offset) before a handler runs.
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


@handles("user.seller_activated")
def grant_seller_role(event: Event) -> None:
    services.grant_seller_role(user_id=event.data["user_id"])


@handles("user.deactivated")
def deactivate_user(event: Event) -> None:
    services.deactivate_user(user_id=event.data["user_id"], at=_moment(event.data["deactivated_at"]))


@handles("user.reactivated")
def reactivate_user(event: Event) -> None:
    services.reactivate_user(user_id=event.data["user_id"], at=_moment(event.data["reactivated_at"]))
