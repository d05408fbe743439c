"""Prometheus metrics of the event machinery, and where each kind of process exposes its metrics.

Where (docs/observability.md has the whole table):

* web processes: ``/metrics`` on their own port (django-prometheus). gunicorn's workers share one
  ``PROMETHEUS_MULTIPROC_DIR`` per service (``manage_all.py up`` makes and empties it), so any worker
  answers for all; uvicorn's socket processes are one process each and answer for themselves.
* the outbox relay: ``start_http_server`` on the service's port + 1000 (:data:`PORT_OFFSETS`);
* the Celery worker: on the service's port + 2000.

``MARKETPLACE_METRICS_PORT`` names the port outright (a container running one process) or turns
the relay's and worker's exporter off (``0``). A service that is not in the platform's topology
(the event tests' probe services) exports nothing unless given a port.
"""

from __future__ import annotations

import os
import time
from collections import Counter as Tally
from contextlib import contextmanager

import structlog
from prometheus_client import Counter, Gauge, Histogram, start_http_server

log = structlog.get_logger("marketplace.metrics")

PORT_OFFSETS = {"relay": 1000, "worker": 2000}

EVENTS_PUBLISHED = Counter(
    "marketplace_events_published_total",
    "Events the outbox relay sent and the broker confirmed.",
    ["service", "event_type"],
)
EVENTS_HANDLED = Counter(
    "marketplace_events_handled_total",
    "Events a worker took off its queue, by outcome: applied, duplicate (already in the inbox) or dead_lettered.",
    ["service", "event_type", "outcome"],
)
EVENTS_RETRIED = Counter(
    "marketplace_events_retried_total",
    "Further attempts at an event after its handlers failed or its database was away.",
    ["service", "event_type"],
)
EVENTS_DEAD_LETTERED = Counter(
    "marketplace_events_dead_lettered_total",
    "Events put on the service's dead-letter queue (invalid, or failing after every attempt).",
    ["service", "event_type"],
)
OUTBOX_LAG = Gauge(
    "marketplace_outbox_lag_seconds",
    "Age of the oldest outbox row not published yet (0 when none waits), as the relay last saw it.",
    ["service"],
    multiprocess_mode="max",
)
HANDLER_SECONDS = Histogram(
    "marketplace_events_handler_seconds",
    "Time the handlers of one event took (inside the transaction that applies it).",
    ["service", "event_type"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)

INVALID_EVENT_TYPE = "invalid"


def _service() -> str:
    from django.conf import settings

    return settings.MARKETPLACE_SERVICE


# --- the hooks of the event machinery ----------------------------------------------------------

def count_published(event_types) -> None:
    """The relay's rows of these types were confirmed by the broker."""
    service = _service()
    for event_type, count in Tally(event_types).items():
        EVENTS_PUBLISHED.labels(service, event_type).inc(count)


def set_outbox_lag(seconds: float) -> None:
    OUTBOX_LAG.labels(_service()).set(max(0.0, seconds))


def count_handled(event_type: str, outcome: str) -> None:
    EVENTS_HANDLED.labels(_service(), event_type, outcome).inc()


def count_retry(event_type: str) -> None:
    EVENTS_RETRIED.labels(_service(), event_type).inc()


def count_dead_letter(event_type: str) -> None:
    service = _service()
    EVENTS_DEAD_LETTERED.labels(service, event_type).inc()
    EVENTS_HANDLED.labels(service, event_type, "dead_lettered").inc()


def label_for(envelope) -> str:
    """The event type of a (possibly invalid) envelope, as a label: only catalogued types, so a
    malformed message cannot create series at will."""
    from .events import catalogue

    event_type = envelope.get("type") if isinstance(envelope, dict) else None
    known = {name for name, _version in catalogue.known_event_types()}
    return event_type if event_type in known else INVALID_EVENT_TYPE


@contextmanager
def timed_handlers(event_type: str):
    started = time.perf_counter()
    try:
        yield
    finally:
        HANDLER_SECONDS.labels(_service(), event_type).observe(time.perf_counter() - started)


# --- exporting ---------------------------------------------------------------------------------

def metrics_port(role: str, service: str, env: dict | None = None) -> int | None:
    """The port a relay or worker of ``service`` serves ``/metrics`` on, or None for none."""
    env = os.environ if env is None else env
    configured = env.get("MARKETPLACE_METRICS_PORT", "").strip()
    if configured:
        return None if configured.lower() in ("0", "off", "false", "no") else int(configured)
    from .topology import ALL_SERVICES

    spec = next((spec for spec in ALL_SERVICES if spec.name == service), None)
    return None if spec is None else spec.port + PORT_OFFSETS[role]


def serve(role: str, service: str) -> int | None:
    """Start this process's exporter (a daemon thread); its port, or None when there is none."""
    port = metrics_port(role, service)
    if port is None:
        return None
    address = os.environ.get("MARKETPLACE_METRICS_ADDRESS", "127.0.0.1")
    try:
        start_http_server(port, addr=address)
    except OSError as error:
        # Another process holds the port (a standby relay of the same service): run without.
        log.warning("metrics_port_unavailable", role=role, port=port, error=str(error))
        return None
    log.info("metrics_exported", role=role, port=port, address=address)
    return port
