"""Each service's Celery app: its worker consumes ``<service>.events`` and applies events once.

A service's ``config/celery.py`` is two lines after ``django.setup()``::

    from marketplace_libs.events.celery_app import make_celery_app
    app = make_celery_app()
"""

from __future__ import annotations

from celery import Celery
from django.conf import settings

from . import broker, registry
from .consumer import HANDLE_EVENT_TASK, handle_envelope, publisher_of_dead_letters

# Measured in bench/events.py (docs/performance.md): more in flight per worker process buys
# little once each process has a few messages buffered, and a small window keeps redelivery
# after a crash short.
PREFETCH_MULTIPLIER = 16


def make_celery_app(service: str | None = None) -> Celery:
    service = service or settings.MARKETPLACE_SERVICE
    app = Celery(service)
    queues = [broker.events_queue(service, registry.subscriptions())] if registry.subscriptions() else []
    app.conf.update(
        broker_url=broker.broker_url(),
        broker_transport_options=broker.transport_options(),
        broker_connection_retry_on_startup=True,
        broker_connection_max_retries=None,
        broker_heartbeat=30 if settings.MARKETPLACE_BROKER_URL else 0,
        task_queues=queues,
        task_create_missing_queues=False,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        task_acks_on_failure_or_timeout=True,
        task_ignore_result=True,
        task_serializer="json",
        accept_content=["json"],
        worker_prefetch_multiplier=getattr(settings, "EVENTS_PREFETCH_MULTIPLIER", PREFETCH_MULTIPLIER),
        # On a lost connection, running handlers finish (their acks are lost and the broker redelivers;
        # the inbox makes the copy a no-op). Cancelling them instead wedged the prefork pool.
        worker_cancel_long_running_tasks_on_connection_loss=False,
        worker_hijack_root_logger=False,
        worker_redirect_stdouts=False,
        worker_enable_remote_control=False,
        worker_send_task_events=False,
        worker_detect_quorum_queues=True,
    )
    publish_dead_letter = publisher_of_dead_letters(app, service)

    @app.task(name=HANDLE_EVENT_TASK, ignore_result=True)
    def handle_event(envelope: dict) -> str:
        return handle_envelope(envelope, publish_dead_letter=publish_dead_letter)

    return app


def declare_service_topology(service: str | None = None) -> None:
    """Exchanges and this service's queues, so events are kept even before its worker first runs."""
    service = service or settings.MARKETPLACE_SERVICE
    with broker.connection() as conn:
        conn.ensure_connection(max_retries=3)
        broker.declare_topology(conn, service, registry.subscriptions())
