"""The outbox relay: sends committed outbox rows to the events exchange, in order, confirmed.

One relay process per service (``manage.py run_outbox_relay``). It wakes when a
transaction that published commits (PostgreSQL ``NOTIFY``) and also sweeps
every ``sweep_seconds``, so an event committed while the relay was down, or
whose notification was lost, still leaves. Rows are marked published only after
RabbitMQ confirmed them, by the next batch's statement when a commit follows
within MARK_LINGER_SECONDS (else on their own); a crash in between sends them
again, and consumers' inboxes absorb the duplicate. Only one relay per service
works at a time (a PostgreSQL advisory lock, or a file lock on SQLite), which
keeps the order.
"""

from __future__ import annotations

import fcntl
import hashlib
import threading
import time
from contextlib import contextmanager
from datetime import datetime, timedelta
from functools import cache
from typing import NamedTuple

import structlog
from django.conf import settings
from django.db import DatabaseError, connection as db_connection
from django.db.backends.signals import connection_created
from django.utils import timezone
from amqp.exceptions import AMQPError
from kombu.exceptions import KombuError

from .. import metrics
from . import broker
from .confirms import BrokerRefused, ConfirmedBatchPublisher
from .connections import ConnectionUpkeep
from .models import OutboxEvent, envelope_of
from .publishing import OUTBOX_CHANNEL

log = structlog.get_logger("marketplace.events.relay")

BROKER_ERRORS = (KombuError, AMQPError, OSError)
RETENTION = timedelta(days=7)
# How long confirmed rows may wait to be marked published for the next batch's statement to carry the
# UPDATE; with no commit in that time they are marked on their own (docs/performance.md, issue 25).
MARK_LINGER_SECONDS = 0.05


def send(producer, envelope: dict, *, exchange=broker.EVENTS_EXCHANGE, routing_key: str | None = None) -> None:
    """Publish an envelope: to the events exchange under its type, or straight to one queue."""
    producer.publish(
        envelope,
        exchange=exchange,
        routing_key=routing_key or envelope["type"],
        serializer="json",
        delivery_mode=2,
        message_id=envelope["id"],
        correlation_id=envelope.get("correlation_id") or None,
        headers={"event-type": envelope["type"], "producer": envelope["producer"]},
        retry=False,
    )


class PendingEvent(NamedTuple):
    """An outbox row waiting to be sent, as the relay needs it."""

    id: int
    event_type: str
    occurred_at: datetime
    attempts: int
    envelope: dict


# The relay runs these two statements for every batch, i.e. for every event when events come one at a
# time: their text and converters are made once, not built through the ORM each time (docs/performance.md).
_PENDING_COLUMNS = ("id", "event_id", "event_type", "version", "occurred_at", "producer", "correlation_id", "data",
                    "attempts")


@cache
def _pending_statement(vendor: str, marking: bool) -> str:
    """The oldest unpublished rows; with ``marking`` (PostgreSQL), the same statement first marks the
    rows of the previous batch published: one round trip per batch instead of two.

    A data-modifying CTE and the SELECT beside it see the same snapshot, so the rows being marked
    are left out of the SELECT explicitly."""
    meta = OutboxEvent._meta
    quote = db_connection.ops.quote_name
    table, pk = quote(meta.db_table), quote(meta.pk.column)
    published_at = quote(meta.get_field("published_at").column)
    columns = ", ".join(quote(meta.get_field(name).column) for name in _PENDING_COLUMNS)
    # Matches the partial index outbox_unpublished_idx.
    select = f"SELECT {columns} FROM {table} WHERE {published_at} IS NULL"
    if not marking:
        return f"{select} ORDER BY {pk} LIMIT %s"
    return (f"WITH marked AS (UPDATE {table} SET {published_at} = %s WHERE {pk} = ANY(%s)) "
            f"{select} AND NOT ({pk} = ANY(%s)) ORDER BY {pk} LIMIT %s")


@cache
def _pending_converters(vendor: str) -> tuple:
    """Per column, what the ORM would apply to the value the driver returns (e.g. JSON text to a dict)."""
    table = OutboxEvent._meta.db_table
    converters = []
    for name in _PENDING_COLUMNS:
        column = OutboxEvent._meta.get_field(name).get_col(table)
        converters.append((column, tuple(db_connection.ops.get_db_converters(column))
                           + tuple(column.get_db_converters(db_connection))))
    return tuple(converters)


def pending_events(limit: int, *, marking_published: list[int] = ()) -> list[PendingEvent]:
    """The oldest unpublished outbox rows, oldest first, once the rows ``marking_published`` are
    marked published (in the same statement on PostgreSQL)."""
    ids = list(marking_published)
    if ids and db_connection.vendor != "postgresql":  # no data-modifying CTEs: a statement of its own
        mark_published(ids)
        ids = []
    with db_connection.cursor() as cursor:
        if ids:
            cursor.execute(_pending_statement(db_connection.vendor, True), [_published_at_now(), ids, ids, limit])
        else:
            cursor.execute(_pending_statement(db_connection.vendor, False), [limit])
        rows = cursor.fetchall()
    converters = _pending_converters(db_connection.vendor)
    pending = []
    for row in rows:
        values = []
        for value, (column, functions) in zip(row, converters):
            for function in functions:
                value = function(value, column, db_connection)
            values.append(value)
        id_, event_id, event_type, version, occurred_at, producer, correlation_id, data, attempts = values
        pending.append(PendingEvent(id_, event_type, occurred_at, attempts,
                                    envelope_of(event_id, event_type, version, occurred_at, producer, correlation_id,
                                                data)))
    return pending


def mark_published(ids: list[int]) -> None:
    meta = OutboxEvent._meta
    quote = db_connection.ops.quote_name
    with db_connection.cursor() as cursor:
        cursor.execute(f"UPDATE {quote(meta.db_table)} SET {quote(meta.get_field('published_at').column)} = %s "
                       f"WHERE {quote(meta.pk.column)} IN ({', '.join(['%s'] * len(ids))})",
                       [_published_at_now(), *ids])


def _published_at_now():
    return OutboxEvent._meta.get_field("published_at").get_db_prep_save(timezone.now(), db_connection)


def configure_relay_session(sender=None, connection=db_connection, **kwargs) -> None:
    """Settings of the relay's own PostgreSQL session (connected to ``connection_created`` by run()).

    Bitmap scans off: marking a row published leaves its entry in the partial index
    ``outbox_unpublished_idx`` until a VACUUM. A plain index scan marks such entries dead as it
    passes them, so the next batch skips them; the bitmap scan the planner otherwise picks visits the
    heap page of every row published since the last VACUUM, on every batch, and that grows with the
    outbox (docs/performance.md, issue 25).

    Commits not waiting for the WAL flush: the relay only ever commits "these rows were published".
    If PostgreSQL crashed before flushing that, the rows would be sent again, which the inboxes
    absorb, exactly as when the relay dies between the confirm and the UPDATE.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET enable_bitmapscan = off")
            cursor.execute("SET synchronous_commit = off")


class OutboxRelay:
    def __init__(self, *, batch_size: int = 500, sweep_seconds: float = 1.0):
        self.service = settings.MARKETPLACE_SERVICE
        self.batch_size = batch_size
        self.sweep_seconds = sweep_seconds
        self.stop = threading.Event()
        self._broker = None
        self._publisher = None
        self._last_purge = 0.0
        self._connection_upkeep = ConnectionUpkeep()
        # Confirmed by RabbitMQ, not yet marked published: a crash now sends them again, which the
        # consumers' inboxes absorb, as they do when the relay dies between the confirm and the UPDATE.
        self._unmarked: list[int] = []

    # --- the loop ----------------------------------------------------------------------------

    def run(self) -> None:
        metrics.serve("relay", self.service)
        connection_created.connect(configure_relay_session)
        if db_connection.connection is not None:
            configure_relay_session()
        while not self.stop.is_set():
            try:
                self._run_as_leader()
            except DatabaseError as error:
                # The database went away (restart, failover): drop everything and start over.
                log.warning("relay_database_error", error=repr(error))
                db_connection.close()
                self.stop.wait(2)
        self._close_broker()

    def _run_as_leader(self) -> None:
        with self._leadership() as wait_for_commit:
            log.info("relay_started", service=self.service)
            while not self.stop.is_set():
                sent = self.relay_batch()
                if sent == self.batch_size:
                    continue  # more is waiting
                self._purge_old_rows()
                if self._unmarked and wait_for_commit(MARK_LINGER_SECONDS):
                    continue  # the next batch's statement marks them
                self.mark_confirmed()
                wait_for_commit(self.sweep_seconds)
            self.mark_confirmed()

    def relay_batch(self) -> int:
        """Send the oldest unpublished rows; returns how many were confirmed."""
        self._connection_upkeep()
        started = time.perf_counter()
        rows = pending_events(self.batch_size, marking_published=self._unmarked)
        self._unmarked = []
        # The oldest row waiting is the first one: its age is the outbox's lag.
        metrics.set_outbox_lag((timezone.now() - rows[0].occurred_at).total_seconds() if rows else 0.0)
        if not rows:
            return 0
        confirmed: list[int] = []
        try:
            publisher = self._ensure_publisher()
            if publisher is None:  # no confirms to wait for (the embedded transport)
                producer = self._broker.Producer()
                for row in rows:
                    send(producer, row.envelope)
                    confirmed.append(row.id)
            else:
                publisher.publish_batch(lambda producer, row: send(producer, row.envelope), rows)
                confirmed = [row.id for row in rows]
        except (*BROKER_ERRORS, BrokerRefused, TimeoutError) as error:
            failed = rows[len(confirmed)]
            OutboxEvent.objects.filter(id=failed.id).update(attempts=failed.attempts + 1,
                                                            last_error=f"{type(error).__name__}: {error}"[:2000])
            log.warning("relay_broker_error", error=repr(error), sent=len(confirmed), pending=len(rows) - len(confirmed))
            self._close_broker()
            self.stop.wait(1.0)
        finally:
            if confirmed:
                confirmed_at = time.perf_counter()
                self._unmarked = confirmed
                metrics.count_published(row.event_type for row in rows[: len(confirmed)])
                if len(confirmed) == len(rows) < self.batch_size:
                    metrics.set_outbox_lag(0.0)  # nothing else was waiting
                log.debug("relay_batch_sent", size=len(confirmed),
                          confirm_ms=round((confirmed_at - started) * 1000, 2),
                          total_ms=round((time.perf_counter() - started) * 1000, 2))
        return len(confirmed)

    def mark_confirmed(self) -> None:
        """Mark what RabbitMQ confirmed published now, rather than with the next batch."""
        if self._unmarked:
            mark_published(self._unmarked)
            self._unmarked = []

    # --- broker ------------------------------------------------------------------------------

    def _ensure_publisher(self) -> ConfirmedBatchPublisher | None:
        if self._broker is None:
            self._broker = broker.connection(confirm_each=False)
            self._broker.ensure_connection(max_retries=1)
            broker.declare_topology(self._broker, self.service, [])
            if self._broker.transport.driver_type == "amqp":
                self._publisher = ConfirmedBatchPublisher(self._broker)
        return self._publisher

    def _close_broker(self) -> None:
        if self._broker is not None:
            try:
                self._broker.release()
            except Exception:  # noqa: BLE001 - it is being thrown away
                pass
        self._broker = self._publisher = None

    def _purge_old_rows(self) -> None:
        if time.monotonic() - self._last_purge < 3600:
            return
        self._last_purge = time.monotonic()
        deleted, _ = OutboxEvent.objects.filter(published_at__lt=timezone.now() - RETENTION).delete()
        if deleted:
            log.info("outbox_purged", rows=deleted)

    # --- one relay per service, woken by commits --------------------------------------------

    @contextmanager
    def _leadership(self):
        if db_connection.vendor == "postgresql":
            with self._postgres_leadership() as wait:
                yield wait
        else:
            with self._file_leadership() as wait:
                yield wait

    @contextmanager
    def _postgres_leadership(self):
        import psycopg

        params = db_connection.get_connection_params()
        params.pop("cursor_factory", None)
        params.pop("context", None)
        key = int.from_bytes(hashlib.sha256(f"outbox-relay:{self.service}".encode()).digest()[:8], "big", signed=True)
        try:
            listener = psycopg.connect(**params, autocommit=True)
        except psycopg.OperationalError as error:
            raise DatabaseError(str(error)) from error
        with listener:
            while not self.stop.is_set():
                if listener.execute("SELECT pg_try_advisory_lock(%s)", [key]).fetchone()[0]:
                    break
                log.info("relay_standby", reason="another relay of this service is running")
                self.stop.wait(5)
            listener.execute(f"LISTEN {OUTBOX_CHANNEL}")

            def wait_for_commit(timeout: float) -> bool:
                """Whether something committed (any notification) within ``timeout``: go and look."""
                notified = False
                try:
                    for _ in listener.notifies(timeout=timeout, stop_after=1):
                        notified = True
                except psycopg.OperationalError as error:
                    raise DatabaseError(str(error)) from error
                return notified

            yield wait_for_commit

    @contextmanager
    def _file_leadership(self):
        lock_path = settings.MARKETPLACE_CONFIG.var_dir / "run" / f"outbox-relay-{self.service}.lock"
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        with open(lock_path, "w") as handle:
            while not self.stop.is_set():
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    self.stop.wait(5)

            def look_again_soon(timeout: float) -> bool:
                # No notifications without PostgreSQL: look often instead.
                self.stop.wait(min(timeout, 0.2))
                return False

            yield look_again_soon
