"""Applying one event exactly once in effect, or dead-lettering it with its error.

The batch consumer (batch_consumer.py) applies events in batches and comes here
for each event of a batch that failed: the handlers are retried with backoff in
the process, then the event goes to ``<service>.events.dlq`` with its error.
The message is acknowledged only after that, so nothing is lost in between.
"""

from __future__ import annotations

import time
import traceback
from contextlib import contextmanager

import structlog
from celery.exceptions import Reject
from django.conf import settings
from django.db import InterfaceError, OperationalError, close_old_connections, transaction
from django.utils import timezone

from .. import metrics
from ..request_context import request_id_var
from . import broker, catalogue, registry
from .envelope import Event, MalformedEnvelope
from .models import InboxEvent

log = structlog.get_logger("marketplace.events")


class Outcome:
    APPLIED = "applied"
    DUPLICATE = "duplicate"
    DEAD_LETTERED = "dead_lettered"


def checked_event(envelope: dict) -> Event:
    """The event an envelope carries, its data checked against the catalogue."""
    event = Event.from_envelope(envelope)
    catalogue.validate(event.type, event.data, event.version)
    return event


def apply_events(events: list[Event]) -> set[str]:
    """Record ``events`` in the inbox and run the handlers of those not seen before, in one
    transaction; returns the ids applied now (a redelivered event, or the same event twice in
    ``events``, is applied once)."""
    with transaction.atomic():
        fresh_ids = record_batch_in_inbox(events)
        applied = set()
        for event in events:
            if event.id in fresh_ids and event.id not in applied:
                applied.add(event.id)
                with handling_context(event), metrics.timed_handlers(event.type):
                    for handler in registry.handlers_for(event.type):
                        handler(event)
    return applied


def apply_once(event: Event) -> bool:
    """False when the inbox already has ``event`` (a redelivery): nothing runs again."""
    return bool(apply_events([event]))


def record_batch_in_inbox(events: list[Event]) -> set[str]:
    """Insert the inbox rows of ``events`` that are not there yet; the ids this transaction inserted.

    One statement for the whole batch, instead of a select, a savepoint and an insert per
    event. A concurrent delivery of the same event waits on the unique key until the first one
    commits (then inserts nothing) or rolls back (then inserts and applies the event itself).
    """
    if not events:
        return set()
    connection = transaction.get_connection()
    field = {f.column: f for f in InboxEvent._meta.concrete_fields}
    columns = ["event_id", "event_type", "producer", "correlation_id", "handled_at"]
    now = timezone.now()
    parameters = []
    for event in events:
        values = (event.id, event.type, event.producer, event.correlation_id, now)
        parameters.extend(field[column].get_db_prep_value(value, connection) for column, value in zip(columns, values))
    row = "(" + ", ".join(["%s"] * len(columns)) + ")"
    table = connection.ops.quote_name(InboxEvent._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({', '.join(connection.ops.quote_name(c) for c in columns)}) "
            f"VALUES {', '.join([row] * len(events))} ON CONFLICT (event_id) DO NOTHING RETURNING event_id",
            parameters,
        )
        inserted = {field["event_id"].to_python(value) for (value,) in cursor.fetchall()}
    return {event.id for event in events if field["event_id"].to_python(event.id) in inserted}


def _backoff_seconds(attempt: int) -> float:
    base = getattr(settings, "EVENTS_RETRY_BASE_SECONDS", 0.2)
    return min(base * 2 ** (attempt - 1), 10.0)


def handle_envelope(envelope: dict, *, publish_dead_letter) -> str:
    """The worker's task body: validate, apply with retries and backoff, else dead-letter."""
    try:
        event = checked_event(envelope)
    except (MalformedEnvelope, catalogue.InvalidEvent, catalogue.UnknownEventType) as error:
        # Retrying cannot make a malformed event valid.
        publish_dead_letter(envelope, error, attempts=0)
        metrics.count_dead_letter(metrics.label_for(envelope))
        log.error("event_dead_lettered", reason="invalid", error=str(error), event_id=str(envelope.get("id", "")))
        return Outcome.DEAD_LETTERED

    with handling_context(event):
        return _apply_with_retries(event, envelope, publish_dead_letter)


@contextmanager
def handling_context(event: Event):
    """Every log line written while handling ``event`` carries its ids and the request's correlation id."""
    request_token = request_id_var.set(event.correlation_id or None)
    try:
        # bound_contextvars restores what was bound before, so contexts nest.
        with structlog.contextvars.bound_contextvars(**_event_ids(event)):
            yield
    finally:
        request_id_var.reset(request_token)


def _event_ids(event: Event) -> dict:
    return {"event_id": event.id, "event_type": event.type, "correlation_id": event.correlation_id}


def log_fields(event: Event) -> dict:
    """What handling_context adds to a log line, for one line written outside it."""
    fields = _event_ids(event)
    if event.correlation_id:
        fields["request_id"] = event.correlation_id
    return fields


def _apply_with_retries(event: Event, envelope: dict, publish_dead_letter) -> str:
    attempts = getattr(settings, "EVENTS_HANDLER_ATTEMPTS", 5)
    infrastructure_deadline = time.monotonic() + getattr(settings, "EVENTS_INFRASTRUCTURE_PATIENCE_SECONDS", 30)
    attempt = 0
    started = time.perf_counter()
    while True:
        attempt += 1
        try:
            applied = apply_once(event)
        except (OperationalError, InterfaceError) as error:
            # The database is away: not the event's fault. Wait, then hand it back to the broker.
            # A broken connection is dropped, or every retry would fail on it again.
            close_old_connections()
            if time.monotonic() > infrastructure_deadline:
                log.warning("event_requeued", reason="database unavailable", error=str(error))
                raise Reject(str(error), requeue=True) from error
            metrics.count_retry(event.type)
            time.sleep(_backoff_seconds(min(attempt, 5)))
            continue
        except Exception as error:  # noqa: BLE001 - any handler failure is retried, then dead-lettered
            if attempt >= attempts:
                publish_dead_letter(envelope, error, attempts=attempt)
                metrics.count_dead_letter(event.type)
                log.error("event_dead_lettered", reason="handler failed", attempts=attempt, error=repr(error))
                return Outcome.DEAD_LETTERED
            delay = _backoff_seconds(attempt)
            log.warning("event_retry", attempt=attempt, retry_in_s=delay, error=repr(error))
            metrics.count_retry(event.type)
            time.sleep(delay)
            continue
        outcome = Outcome.APPLIED if applied else Outcome.DUPLICATE
        metrics.count_handled(event.type, outcome)
        log.info("event_handled", outcome=outcome, attempts=attempt,
                 duration_ms=round((time.perf_counter() - started) * 1000, 2),
                 lag_ms=round((timezone.now() - event.occurred_at).total_seconds() * 1000, 2))
        return outcome


def dead_letter_headers(service: str, error: BaseException, attempts: int) -> dict:
    return {
        "x-service": service,
        "x-error": f"{type(error).__name__}: {error}"[:2000],
        "x-traceback": "".join(traceback.format_exception(error))[-4000:],
        "x-attempts": attempts,
        "x-dead-lettered-at": timezone.now().isoformat(),
    }


def publisher_of_dead_letters(app, service: str):
    """A function that puts an envelope, with its error, on ``<service>.events.dlq`` (confirmed)."""

    def publish_dead_letter(envelope: dict, error: BaseException, *, attempts: int) -> None:
        with app.producer_pool.acquire(block=True) as producer:
            producer.publish(
                envelope,
                exchange=broker.DEAD_LETTER_EXCHANGE,
                routing_key=broker.dead_letter_queue_name(service),
                headers=dead_letter_headers(service, error, attempts),
                serializer="json",
                delivery_mode=2,
                declare=[broker.DEAD_LETTER_EXCHANGE, broker.dead_letter_queue(service)],
                retry=True,
                retry_policy={"max_retries": 10, "interval_start": 0.5, "interval_step": 1, "interval_max": 5},
            )

    return publish_dead_letter
