"""The event tests' world: a producer (this test process, as the probe service ``probe_producer``,
with its relay as a real process) and two subscribing services (``probe_a``, ``probe_b``, each a
real Celery worker), all on the real PostgreSQL, Redis and RabbitMQ."""

from __future__ import annotations

import os

import pytest

from harness import Fleet, events_environment

ENV = events_environment()
os.environ.update(ENV)
os.environ["PROBE_SERVICE"] = "probe_producer"
os.environ["PROBE_SUBSCRIBES"] = "0"
os.environ["DJANGO_SETTINGS_MODULE"] = "probe_project.settings"

import django  # noqa: E402

django.setup()

CONSUMERS = ["probe_a", "probe_b"]


def delete_queues(services) -> None:
    from marketplace_libs.events import broker

    with broker.connection() as conn:
        channel = conn.default_channel
        for service in services:
            for name in (broker.events_queue_name(service), broker.dead_letter_queue_name(service)):
                channel.queue_delete(name)


@pytest.fixture(scope="session")
def fleet():
    fleet = Fleet(ENV)
    delete_queues([*CONSUMERS, "probe_producer"])
    fleet.migrate("probe_producer", *CONSUMERS)
    from django.db import connection

    connection.close()
    from django.core.cache import caches

    caches["shared"].clear()
    try:
        fleet.start_worker("probe_a")  # with the default linger (decision 92)
        fleet.start_worker("probe_b", MARKETPLACE_EVENTS_BATCH_LINGER_MS="0")  # and without: both ways are tested
        fleet.start_relay("probe_producer")
        # Ready when a first event has reached both workers.
        from probe.publishing import publish_registrations

        fleet.wait_until_received(CONSUMERS, publish_registrations(1, prefix="warmup"), timeout=90)
        yield fleet
    finally:
        fleet.stop_all()


@pytest.fixture
def publish(fleet):
    from probe.publishing import publish_registrations

    return publish_registrations
