"""Each service's Celery app. Its worker consumes ``<service>.events`` (the events consumer
bootstep, batch_consumer.py) and ``<service>.tasks`` (the service's own background tasks).

A service's ``config/celery.py`` is two lines after ``django.setup()``::

    from marketplace_libs.events.celery_app import make_celery_app
    app = make_celery_app()
"""

from __future__ import annotations

import importlib
import os

import structlog
from celery import Celery, signals
from django.apps import apps as django_apps
from django.conf import settings
from kombu import Queue

from .. import metrics
from ..runtime import freeze_heap
from . import batch_consumer, broker, registry


def tasks_queue(service: str) -> Queue:
    return Queue(f"{service}.tasks", durable=True, queue_arguments={"x-queue-type": "quorum"})


def make_celery_app(service: str | None = None) -> Celery:
    service = service or settings.MARKETPLACE_SERVICE
    app = Celery(service)
    app.conf.update(
        broker_url=broker.broker_url(),
        broker_transport_options=broker.transport_options(),
        broker_connection_retry_on_startup=True,
        broker_connection_max_retries=None,
        broker_heartbeat=30 if settings.MARKETPLACE_BROKER_URL else 0,
        task_queues=[tasks_queue(service)],
        task_default_queue=f"{service}.tasks",
        task_create_missing_queues=False,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        task_acks_on_failure_or_timeout=True,
        task_ignore_result=True,
        task_serializer="json",
        accept_content=["json"],
        worker_prefetch_multiplier=1,
        # On a lost connection, running tasks finish (their acks are lost and the broker redelivers);
        # cancelling them instead wedged the prefork pool.
        worker_cancel_long_running_tasks_on_connection_loss=False,
        worker_hijack_root_logger=False,
        worker_redirect_stdouts=False,
        worker_enable_remote_control=False,
        worker_send_task_events=False,
        worker_detect_quorum_queues=True,
    )
    app.conf.beat_schedule = {
        name: {"task": entry["task"], "schedule": float(entry["every_seconds"])}
        for name, entry in periodic_tasks().items()
    }
    if registry.subscriptions():
        batch_consumer.install(app, service, registry.subscriptions())
    # Each app's tasks.py, imported now: the worker and the beat must know the same task names.
    app.autodiscover_tasks([config.name for config in django_apps.get_app_configs()], force=True)
    _export_worker_metrics(app, service)
    _freeze_heap_when_ready()
    return app


def _freeze_heap_when_ready() -> None:
    """The worker's start-up heap, frozen once its consumers run (decision 93)."""

    def freeze(sender=None, **_):
        structlog.get_logger("marketplace.events").info("heap_frozen", objects=freeze_heap())

    signals.worker_ready.connect(freeze, weak=False)


def _export_worker_metrics(app, service: str) -> None:
    """The worker (not the beat) serves its event metrics on its own port (marketplace_libs.metrics)."""

    def serve(sender=None, **_):
        if getattr(sender, "app", None) is app:
            metrics.serve("worker", service)

    signals.worker_init.connect(serve, weak=False)


def periodic_tasks() -> dict:
    """``settings.MARKETPLACE_PERIODIC_TASKS``: ``{name: {"task": dotted name, "every_seconds": n}}``;
    a service that has any runs a Celery beat beside its worker (manage_all.py up)."""
    return dict(getattr(settings, "MARKETPLACE_PERIODIC_TASKS", {}))


def service_app() -> Celery:
    """The service's own Celery app (``config.celery``, beside its settings module), from any of its
    processes. A web process never imports it on its own, and ``shared_task(...).delay`` there would go
    through Celery's default app: a broker on localhost and a queue nobody consumes."""
    package = os.environ.get("DJANGO_SETTINGS_MODULE", "config.settings").rpartition(".")[0]
    return importlib.import_module(f"{package}.celery" if package else "celery").app


def send_task(name: str, *args) -> None:
    """Queue the service's task ``name`` on its ``<service>.tasks`` queue for its worker."""
    service_app().send_task(name, args=list(args))


def declare_service_topology(service: str | None = None) -> None:
    """Exchanges and this service's queues, so events are kept even before its worker first runs."""
    service = service or settings.MARKETPLACE_SERVICE
    with broker.connection() as conn:
        conn.ensure_connection(max_retries=3)
        broker.declare_topology(conn, service, registry.subscriptions())
        tasks_queue(service)(conn.default_channel).declare()
