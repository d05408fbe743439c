"""The worker's events consumer: a Celery consumer bootstep on ``<service>.events``.

Messages that arrive together are applied together: a batch stays open for a
short linger after its first message (EVENTS_BATCH_LINGER_MS), then one
transaction records each of its events in the inbox and runs their handlers,
commits, and every message is acknowledged. Per event that costs a statement
or two instead of a transaction, a commit and a task dispatch, which is what
lets one process keep up with the platform's event rate (docs/performance.md).
If any handler of the batch fails, the batch is rolled back and each event is applied on its own,
with retries, backoff and dead-lettering (consumer.handle_envelope), so one bad
event neither blocks nor drags down its neighbours.

Nothing is acknowledged before its effect is committed: a worker killed
mid-batch leaves every message of the batch to be delivered again, and the
inbox turns the second delivery into a no-op.
"""

from __future__ import annotations

import time

import structlog
from celery import bootsteps
from celery.exceptions import Reject
from django.conf import settings
from django.utils import timezone
from kombu import Consumer

from .. import metrics
from . import broker
from .connections import ConnectionUpkeep
from .consumer import apply_events, checked_event, handle_envelope, log_fields, publisher_of_dead_letters

log = structlog.get_logger("marketplace.events")

BATCH_SIZE = 200


def batch_linger_seconds() -> float:
    """How long a batch stays open after its first message (settings.EVENTS_BATCH_LINGER_MS).

    Events that arrive within it share one transaction and one acknowledgement instead of paying
    one each, which is most of what an event costs a consumer; the price is that long in latency.
    0 closes a batch as soon as the loop has read what had already arrived (decision 92)."""
    return float(getattr(settings, "EVENTS_BATCH_LINGER_MS", 10)) / 1000


def prefetch() -> int:
    """Messages the broker may hand over unacknowledged (settings.EVENTS_PREFETCH, by default two
    batches: the next one arrives while this one commits; docs/performance.md has the measurements)."""
    return int(getattr(settings, "EVENTS_PREFETCH", 2 * BATCH_SIZE))


class EventBatch:
    """Messages taken off the queue, applied in one transaction when possible."""

    def __init__(self, publish_dead_letter):
        self.publish_dead_letter = publish_dead_letter
        self.messages: list = []
        self.connection_upkeep = ConnectionUpkeep()

    def add(self, message) -> None:
        self.messages.append(message)

    def __len__(self) -> int:
        return len(self.messages)

    def apply(self) -> None:
        messages, self.messages = self.messages, []
        if not messages:
            return
        self.connection_upkeep()
        started = time.perf_counter()
        try:
            applied = self._apply_together(messages)
        except Exception as error:  # noqa: BLE001 - fall back to one by one, where each failure is handled
            log.info("event_batch_split", size=len(messages), error=repr(error))
            for message in messages:
                self._apply_alone(message)
            return
        # One frame acknowledges the whole batch: this consumer has its own channel, and every
        # delivery before the batch was settled (acked or requeued) when its batch ended.
        messages[-1].ack(multiple=True)
        log.debug("event_batch_handled", size=len(messages), applied=applied,
                  duration_ms=round((time.perf_counter() - started) * 1000, 2))

    def _apply_together(self, messages) -> int:
        events = [checked_event(message.decode()) for message in messages]
        applied = apply_events(events)
        # Logged once committed, so a line never claims an effect that was rolled back.
        now = timezone.now()
        for event in events:
            outcome = "applied" if event.id in applied else "duplicate"
            metrics.count_handled(event.type, outcome)
            # The event's ids as fields of the line: cheaper than entering handling_context per event
            # for one line (docs/performance.md, issue 25).
            log.info("event_handled", outcome=outcome, batch=len(events),
                     lag_ms=round((now - event.occurred_at).total_seconds() * 1000, 2), **log_fields(event))
        return len(applied)

    def _apply_alone(self, message) -> None:
        try:
            envelope = message.decode()
        except Exception as error:  # noqa: BLE001 - undecodable: nothing to retry
            self.publish_dead_letter({"undecodable": message.body if isinstance(message.body, str) else repr(message.body)},
                                     error, attempts=0)
            metrics.count_dead_letter(metrics.INVALID_EVENT_TYPE)
            message.ack()
            return
        try:
            handle_envelope(envelope, publish_dead_letter=self.publish_dead_letter)
        except Reject:
            message.requeue()  # the database is away: let the broker hold it
            return
        message.ack()


class EventsConsumerStep(bootsteps.ConsumerStep):
    """Consumes ``<service>.events`` inside the service's Celery worker."""

    service: str = ""
    event_types: list[str] = []
    publish_dead_letter = None

    def get_consumers(self, channel):
        self.batch = EventBatch(self.publish_dead_letter)
        queue = broker.events_queue(self.service, self.event_types)
        return [Consumer(channel, queues=[queue], callbacks=[self._on_message], accept=["json"],
                         prefetch_count=prefetch())]

    scheduled_flush = None

    def start(self, c):
        # Runs again after every reconnection, with a new channel and a new batch: a flush scheduled
        # for the old batch must not close the new one early.
        self._unschedule_flush()
        self.hub = c.hub  # None with transports that have no event loop (the embedded one)
        self.linger = batch_linger_seconds()
        super().start(c)

    def _on_message(self, body, message) -> None:
        self.batch.add(message)
        if self.hub is None or len(self.batch) >= BATCH_SIZE:
            self._flush()
        elif self.scheduled_flush is None:
            # Runs once the loop has read what has already arrived, and what arrives within the
            # linger: those messages form the batch.
            if self.linger > 0:
                self.scheduled_flush = self.hub.call_later(self.linger, self._flush)
            else:
                self.scheduled_flush = self.hub.call_soon(self._flush)

    def _flush(self) -> None:
        self._unschedule_flush()  # a batch that filled goes now; its timer must not close the next one early
        self.batch.apply()

    def _unschedule_flush(self) -> None:
        if self.scheduled_flush is not None:
            self.scheduled_flush.cancel()
            self.scheduled_flush = None


def install(app, service: str, event_types: list[str]) -> None:
    step = type("ServiceEventsConsumer", (EventsConsumerStep,), {
        "service": service,
        "event_types": list(event_types),
        "publish_dead_letter": staticmethod(publisher_of_dead_letters(app, service)),
    })
    app.steps["consumer"].add(step)
