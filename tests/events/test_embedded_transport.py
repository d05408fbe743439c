"""Without RabbitMQ (the embedded default) the same relay and workers still fan every event out to
every subscribing service: kombu's filesystem transport under var/, shared by local processes."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from harness import PROBE_DIR, Fleet, events_environment

SERVICES = ["probe_fs_a", "probe_fs_b"]


@pytest.fixture(scope="module")
def embedded_fleet():
    env = events_environment(name="events-embedded", redis_db=5, broker=False)
    assert "MARKETPLACE_BROKER_URL" not in env
    shutil.rmtree(Path(env["MARKETPLACE_VAR_DIR"]) / "broker", ignore_errors=True)
    fleet = Fleet(env)
    try:
        fleet.migrate("probe_fs_producer", *SERVICES)
        for service in SERVICES:
            fleet.start_worker(service, concurrency=1)
        fleet.start_relay("probe_fs_producer")
        yield fleet
    finally:
        fleet.stop_all()


def _publish(fleet: Fleet, count: int) -> list[str]:
    result = subprocess.run([sys.executable, "manage.py", "publish_registrations", "--count", str(count),
                             "--prefix", "embedded"], cwd=PROBE_DIR, capture_output=True, text=True, check=True,
                            env={**fleet.env, "PROBE_SERVICE": "probe_fs_producer"})
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_fan_out_to_two_services_without_a_broker_server(embedded_fleet):
    event_ids = _publish(embedded_fleet, 20)
    embedded_fleet.wait_until_received(SERVICES, event_ids, timeout=90)
    for service in SERVICES:
        assert set(embedded_fleet.received_counts(service, event_ids).values()) == {1}
    broker_folder = Path(embedded_fleet.env["MARKETPLACE_VAR_DIR"]) / "broker"
    assert (broker_folder / "control" / "marketplace.events.exchange").is_file()
