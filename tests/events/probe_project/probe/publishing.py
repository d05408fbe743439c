import uuid

from django.db import transaction
from django.utils import timezone

from marketplace_libs.events.publishing import publish


def publish_registrations(count: int, *, prefix: str = "user", per_transaction: int = 1) -> list[str]:
    """``count`` user.registered events, committed ``per_transaction`` at a time; their event ids."""
    event_ids = []
    for start in range(0, count, per_transaction):
        with transaction.atomic():
            for index in range(start, min(count, start + per_transaction)):
                user_id = str(uuid.uuid4())
                event = publish("user.registered", {
                    "user_id": user_id, "email": f"{prefix}-{index}@probe.test",
                    "username": f"{prefix}_{index}_{user_id[:8]}", "date_joined": timezone.now().isoformat(),
                }, aggregate_id=user_id)
                event_ids.append(str(event.event_id))
    return event_ids
