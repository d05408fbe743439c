"""What an operator asks of the event machinery: lag, depths, dead letters (listed, replayed), traces.

Run inside a service's Django process (``manage.py events_report`` / ``events_replay``);
``manage_all.py events`` asks every service and prints the answers together.
"""

from __future__ import annotations

from django.conf import settings
from django.db.models import Min
from django.utils import timezone

from . import broker
from .models import InboxEvent, OutboxEvent


def outbox_lag() -> dict:
    pending = OutboxEvent.objects.filter(published_at__isnull=True)
    oldest = pending.aggregate(oldest=Min("occurred_at"))["oldest"]
    return {
        "unpublished": pending.count(),
        "oldest_unpublished_age_s": round((timezone.now() - oldest).total_seconds(), 3) if oldest else 0.0,
    }


def queue_depth(conn, name: str) -> int | None:
    """Messages ready in a queue, or None when it does not exist (yet)."""
    channel = conn.channel()
    try:
        _, depth, _ = channel.queue_declare(queue=name, passive=True)
        return depth
    except Exception:  # noqa: BLE001 - a missing queue closes the channel with 404
        return None
    finally:
        try:
            channel.close()
        except Exception:  # noqa: BLE001
            pass


def queue_depths(service: str | None = None) -> dict:
    service = service or settings.MARKETPLACE_SERVICE
    with broker.connection() as conn:
        conn.ensure_connection(max_retries=2)
        return {
            "events": queue_depth(conn, broker.events_queue_name(service)),
            "dead_letters": queue_depth(conn, broker.dead_letter_queue_name(service)),
        }


def _drain_dead_letters(conn, service: str, limit: int):
    """Take up to ``limit`` dead letters without acknowledging them (closing the channel returns them)."""
    channel = conn.channel()
    queue = broker.dead_letter_queue(service)(channel)
    queue.declare()
    messages = []
    while len(messages) < limit:
        message = queue.get(no_ack=False)
        if message is None:
            break
        messages.append(message)
    return channel, messages


def _describe(message) -> dict:
    envelope = message.decode()
    headers = message.headers or {}
    return {
        "event_id": envelope.get("id") if isinstance(envelope, dict) else None,
        "type": envelope.get("type") if isinstance(envelope, dict) else None,
        "error": headers.get("x-error", ""),
        "attempts": headers.get("x-attempts"),
        "dead_lettered_at": headers.get("x-dead-lettered-at", ""),
        "envelope": envelope,
    }


def list_dead_letters(service: str | None = None, *, limit: int = 100) -> list[dict]:
    service = service or settings.MARKETPLACE_SERVICE
    with broker.connection() as conn:
        conn.ensure_connection(max_retries=2)
        channel, messages = _drain_dead_letters(conn, service, limit)
        try:
            return [_describe(message) for message in messages]
        finally:
            channel.close()  # unacknowledged: every message goes back to the queue


def replay_dead_letters(service: str | None = None, *, event_id: str | None = None, limit: int = 1000) -> list[str]:
    """Send dead letters back to this service's own queue (not to the exchange: no other
    subscriber sees them again); returns the replayed event ids."""
    from .relay import send

    service = service or settings.MARKETPLACE_SERVICE
    replayed = []
    with broker.connection() as conn:
        conn.ensure_connection(max_retries=2)
        channel, messages = _drain_dead_letters(conn, service, limit)
        try:
            producer = conn.Producer(channel=conn.channel())
            for message in messages:
                envelope = message.decode()
                if event_id and (not isinstance(envelope, dict) or envelope.get("id") != event_id):
                    continue
                send(producer, envelope, exchange="", routing_key=broker.events_queue_name(service))
                message.ack()  # only after the broker confirmed the replayed copy
                replayed.append(envelope.get("id"))
        finally:
            channel.close()
    return replayed


def trace(event_id: str) -> dict:
    """What this service knows of one event: did it publish it, did it apply it?"""
    found: dict = {"service": settings.MARKETPLACE_SERVICE}
    outbox = OutboxEvent.objects.filter(event_id=event_id).first()
    if outbox:
        found["published"] = {"type": outbox.event_type, "occurred_at": outbox.occurred_at.isoformat(),
                              "published_at": outbox.published_at.isoformat() if outbox.published_at else None,
                              "attempts": outbox.attempts, "last_error": outbox.last_error,
                              "correlation_id": outbox.correlation_id}
    inbox = InboxEvent.objects.filter(event_id=event_id).first()
    if inbox:
        found["applied"] = {"type": inbox.event_type, "producer": inbox.producer,
                            "handled_at": inbox.handled_at.isoformat()}
    return found
