"""What the auth service does when the user service speaks: parse the event, call a service.

Each handler runs inside the consumer's transaction with the inbox row (marketplace_libs.events.
consumer.apply_events), so a redelivered event is applied once; the rules live in services.py.
"""

from __future__ import annotations

from marketplace_libs.events.envelope import Event
from marketplace_libs.events.registry import handles

from . import services


@handles("user.seller_activated")
def grant_seller_role(event: Event) -> None:
    services.grant_seller_role(user_id=event.data["user_id"])
