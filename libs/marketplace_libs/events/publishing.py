from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ..request_context import current_request_id
from . import catalogue
from .models import OutboxEvent

# A trigger on the outbox table (migration 0002) notifies this channel; PostgreSQL delivers
# the notification only when the transaction commits, so the relay wakes exactly then.
OUTBOX_CHANNEL = "marketplace_outbox"


def publish(event_type: str, data: dict, *, aggregate_id: str = "", version: int = 1) -> OutboxEvent:
    """Record an event in the outbox, inside the caller's transaction.

    The event is sent only if that transaction commits, and is sent even if the
    process dies right after the commit (the relay sweeps what is left). Data
    that does not match the event's schema in the catalogue is refused here.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError(f"publish({event_type!r}) must run inside the transaction of the change it reports")
    catalogue.validate(event_type, data, version)
    return OutboxEvent.objects.create(
        event_type=event_type,
        version=version,
        occurred_at=timezone.now(),
        producer=settings.MARKETPLACE_SERVICE,
        correlation_id=current_request_id() or "",
        aggregate_id=aggregate_id,
        data=data,
    )
