"""Delivery that loses nothing and applies nothing twice, on the real broker."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time

from django.core.cache import caches

from conftest import CONSUMERS
from harness import PROBE_DIR


def test_every_event_reaches_every_subscribing_service_once(fleet, publish):
    event_ids = publish(50, prefix="fanout", per_transaction=5)
    fleet.wait_until_received(CONSUMERS, event_ids)
    for service in CONSUMERS:
        assert set(fleet.received_counts(service, event_ids).values()) == {1}


def test_workers_and_the_relay_freeze_their_start_up_heap(fleet):
    for key in ("probe_a-worker", "probe_b-worker", "probe_producer-relay"):
        lines = fleet.wait_for(lambda key=key: fleet.log_lines(key, "heap_frozen"), timeout=10,
                               what=f"{key}'s heap_frozen line")
        # Django, Celery and the service, loaded once and never walked again (one line per start).
        assert all(line["objects"] > 10_000 for line in lines)


def test_the_envelope_and_correlation_id_arrive_intact(fleet, publish):
    from django.db import transaction

    from marketplace_libs.events.publishing import publish as publish_event
    from marketplace_libs.request_context import request_id_var

    token = request_id_var.set("req-correlation-check")
    try:
        with transaction.atomic():
            event = publish_event("user.registered", {"user_id": "8b0f2c7e-2d4b-4b8e-9d0a-000000000001",
                                                      "email": "c@probe.test", "username": "corr_1",
                                                      "date_joined": "2026-01-01T00:00:00Z"})
    finally:
        request_id_var.reset(token)
    fleet.wait_until_received(CONSUMERS, [str(event.event_id)])
    rows = fleet.query("probe_a", "SELECT producer, correlation_id, event_type FROM events_inboxevent "
                                  "WHERE event_id = %s", [str(event.event_id)])
    assert rows == [("probe_producer", "req-correlation-check", "user.registered")]

    def handled_lines():
        return [line for line in fleet.log_lines("probe_a-worker", "event_handled")
                if line["marketplace.event_id"] == str(event.event_id)]

    fleet.wait_for(handled_lines, timeout=10, what="the worker's event_handled line")
    handled = handled_lines()
    # ECS lines (docs/observability.md): the correlation id is the request's trace id.
    assert handled and handled[0]["marketplace.correlation_id"] == "req-correlation-check"
    assert handled[0]["trace.id"] == "req-correlation-check"


def test_events_arriving_within_the_linger_are_applied_in_one_transaction(fleet, publish):
    fleet.stop("probe_a-worker")
    fleet.start_worker("probe_a", MARKETPLACE_EVENTS_BATCH_LINGER_MS="1500")
    try:
        fleet.wait_until_received(["probe_a"], publish(1, prefix="linger-ready"), timeout=90)  # the worker is up
        event_ids = []
        for _ in range(3):  # each in a transaction of its own, so each reaches the worker as a message of its own
            event_ids += publish(1, prefix="lingered")
            time.sleep(0.15)
        fleet.wait_until_received(CONSUMERS, event_ids, timeout=90)

        def handled_lines():
            return [line for line in fleet.log_lines("probe_a-worker", "event_handled")
                    if line["marketplace.event_id"] in event_ids]

        lines = fleet.wait_for(lambda: len(handled_lines()) == 3 and handled_lines(), timeout=10,
                               what="probe_a's event_handled lines")
        assert [line["batch"] for line in lines] == [3, 3, 3]
        # Without a linger (probe_b) 150 ms apart is far enough for each to go alone.
        assert set(fleet.received_counts("probe_b", event_ids).values()) == {1}
    finally:
        fleet.stop("probe_a-worker")
        fleet.start_worker("probe_a")


def test_a_redelivered_event_is_applied_once(fleet, publish):
    from marketplace_libs.events import broker
    from marketplace_libs.events.models import OutboxEvent
    from marketplace_libs.events.relay import send

    [event_id] = publish(1, prefix="redelivered")
    fleet.wait_until_received(CONSUMERS, [event_id])
    envelope = OutboxEvent.objects.get(event_id=event_id).envelope()
    with broker.connection() as conn:
        producer = conn.Producer()
        for _ in range(3):  # the broker handing the same message over again, three times
            send(producer, envelope, exchange="", routing_key=broker.events_queue_name("probe_a"))
    marker = publish(1, prefix="after-redelivery")  # queued behind the copies: once it is in, they were handled
    fleet.wait_until_received(["probe_a"], marker)
    assert fleet.received_counts("probe_a", [event_id]) == {event_id: 1}
    assert fleet.query("probe_a", "SELECT count(*) FROM events_inboxevent WHERE event_id = %s", [event_id]) == [(1,)]


def test_a_failing_handler_is_retried_with_backoff(fleet, publish):
    event_ids = publish(3, prefix="flaky")
    fleet.wait_until_received(CONSUMERS, event_ids)
    for service in CONSUMERS:
        assert set(fleet.received_counts(service, event_ids).values()) == {1}
    # Each flaky event fails twice: once inside its batch (which is then split) and once or
    # twice on its own, before it succeeds after a backoff.
    retries = [line for line in fleet.log_lines("probe_a-worker", "event_retry")
               if line["marketplace.event_id"] == event_ids[0]]
    assert 1 <= len(retries) <= 2
    assert all("retry_in_s" in line for line in retries)


def test_a_worker_killed_in_the_middle_of_a_handler_handles_the_event_after_restart_once(fleet, publish):
    [event_id] = publish(1, prefix="slow")
    shared = caches["shared"]
    fleet.wait_for(lambda: shared.get(f"probe:started:probe_a:{event_id}"), what="the slow handler to start")
    fleet.kill("probe_a-worker")
    assert fleet.received_counts("probe_a", [event_id]) == {}
    fleet.start_worker("probe_a")
    fleet.wait_until_received(["probe_a"], [event_id], timeout=90)
    fleet.wait_until_received(["probe_b"], [event_id])
    time.sleep(1)  # a second application, were there one, would land now
    assert fleet.received_counts("probe_a", [event_id]) == {event_id: 1}


def test_the_relay_killed_after_commit_is_made_good_by_the_sweep(fleet, publish):
    fleet.kill("probe_producer-relay")
    event_ids = publish(20, prefix="orphan")  # committed, and nobody to send them
    time.sleep(1.5)
    assert fleet.received_counts("probe_a", event_ids) == {}
    fleet.start_relay("probe_producer")
    fleet.wait_until_received(CONSUMERS, event_ids)
    for service in CONSUMERS:
        assert set(fleet.received_counts(service, event_ids).values()) == {1}


def test_closing_every_broker_connection_mid_stream_loses_nothing(fleet, publish):
    published: list[str] = []

    def produce():
        for _ in range(30):
            published.extend(publish(10, prefix="stream", per_transaction=10))
            time.sleep(0.05)

    producer = threading.Thread(target=produce)
    producer.start()
    time.sleep(0.5)
    subprocess.run(["rabbitmqctl", "close_all_connections", "fault test: closing every connection"],
                   check=True, capture_output=True)
    time.sleep(0.5)
    subprocess.run(["rabbitmqctl", "close_all_connections", "fault test: and again"], check=True, capture_output=True)
    producer.join()
    assert len(published) == 300
    fleet.wait_until_received(CONSUMERS, published, timeout=120)
    for service in CONSUMERS:
        counts = fleet.received_counts(service, published)
        assert len(counts) == 300 and set(counts.values()) == {1}


def test_a_poison_event_is_dead_lettered_after_its_retries_and_can_be_replayed(fleet, publish):
    [event_id] = publish(1, prefix="poison")
    report = fleet.wait_for(lambda: _dead_letters("probe_a", event_id), timeout=60, what="the dead letter")
    assert "ValueError: poisoned event" in report["error"] and report["attempts"] == 5
    assert report["envelope"]["id"] == event_id and report["envelope"]["type"] == "user.registered"
    assert fleet.received_counts("probe_a", [event_id]) == {}
    # The handler is fixed (here: the event is cured), then the operator replays it.
    caches["shared"].set(f"probe:cured:{event_id}", 1, timeout=600)
    replayed = _manage("probe_a", "events_replay", "--event", event_id)
    assert replayed == {"replayed": [event_id]}
    fleet.wait_until_received(["probe_a"], [event_id])
    assert fleet.received_counts("probe_a", [event_id]) == {event_id: 1}
    assert _dead_letters("probe_a", event_id) is None


def _manage(service: str, *args: str) -> dict:
    result = subprocess.run([sys.executable, "manage.py", *args],
                            cwd=PROBE_DIR, env={**os.environ, "PROBE_SERVICE": service},
                            capture_output=True, text=True, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def _dead_letters(service: str, event_id: str):
    letters = _manage(service, "events_report", "--dead-letters")["dead_letters"]
    return next((letter for letter in letters if letter["event_id"] == event_id), None)
