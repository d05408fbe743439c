from __future__ import annotations

import uuid
from functools import cache

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ..request_context import current_request_id
from . import catalogue
from .models import OutboxEvent

# A trigger on the outbox table (migration 0002) notifies this channel; PostgreSQL delivers
# the notification only when the transaction commits, so the relay wakes exactly then.
OUTBOX_CHANNEL = "marketplace_outbox"

_WRITTEN = ("event_id", "event_type", "version", "occurred_at", "producer", "correlation_id", "aggregate_id", "data",
            "attempts", "last_error")


def publish(event_type: str, data: dict, *, aggregate_id: str = "", version: int = 1) -> OutboxEvent:
    """Record an event in the outbox, inside the caller's transaction.

    The event is sent only if that transaction commits, and is sent even if the
    process dies right after the commit (the relay sweeps what is left). Data
    that does not match the event's schema in the catalogue is refused here, and
    so is a type whose producer in the catalogue is another service.
    """
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        raise RuntimeError(f"publish({event_type!r}) must run inside the transaction of the change it reports")
    _check_producer(event_type, version)
    catalogue.validate(event_type, data, version)
    event = OutboxEvent(event_id=uuid.uuid4(), event_type=event_type, version=version, occurred_at=timezone.now(),
                        producer=settings.MARKETPLACE_SERVICE, correlation_id=current_request_id() or "",
                        aggregate_id=aggregate_id, data=data)
    # One INSERT, built once, instead of Model.save(): every write that others must hear of passes here,
    # and building the statement through the ORM was most of publish()'s cost (docs/performance.md).
    fields = _written_fields()
    with connection.cursor() as cursor:
        cursor.execute(_insert_statement(),
                       [field.get_db_prep_save(getattr(event, field.attname), connection) for field in fields])
        event.pk = cursor.fetchone()[0]
    event._state.adding, event._state.db = False, connection.alias
    return event


def _check_producer(event_type: str, version: int) -> None:
    producer = catalogue.producer_of(event_type, version)
    service = settings.MARKETPLACE_SERVICE
    # The test suites' stand-in services (the libs' test app, the event probes) publish other
    # services' types on purpose; they say so with MARKETPLACE_EVENTS_STAND_IN.
    if producer != service and not getattr(settings, "MARKETPLACE_EVENTS_STAND_IN", False):
        raise catalogue.NotTheProducer(
            f"{service} may not publish {event_type} v{version}: its producer is {producer or 'nobody'}")


@cache
def _written_fields() -> tuple:
    return tuple(OutboxEvent._meta.get_field(name) for name in _WRITTEN)


@cache
def _insert_statement() -> str:
    quote = '"{}"'.format
    columns = ", ".join(quote(field.column) for field in _written_fields())
    placeholders = ", ".join(["%s"] * len(_WRITTEN))
    return (f"INSERT INTO {quote(OutboxEvent._meta.db_table)} ({columns}) VALUES ({placeholders}) "
            f"RETURNING {quote(OutboxEvent._meta.pk.column)}")
