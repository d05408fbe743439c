#!/usr/bin/env python3
"""The event backbone under load: one producer, two subscribing services, the real broker.

    .venv/bin/python bench/events.py [--events 10000] [--rate 200] [--seconds 15] [--prefetch 50,200,400,1000]

Runs copies of the probe service (tests/events/probe_project): this process publishes through the
outbox as ``probe_producer`` while its relay and the two consumers (``probe_a``, ``probe_b``, Celery
workers) run as real processes. Reports, from the databases' own timestamps (outbox ``occurred_at``,
set in the producing transaction, to the consumer's row written in the handling transaction):

1. throughput: --events committed as fast as possible, handled by both consumers (events/s end to end);
2. latency at a steady --rate for --seconds: p50 and p99 from commit to handled;
3. the same steady load with every broker connection closed twice mid-run (rabbitmqctl);
and after each phase, lost and doubly-applied events (both must be zero). With --prefetch, phase 1
is repeated for each consumer prefetch count. Targets (issue 3): >= 1,000 events/s; p50 <= 20 ms and
p99 <= 100 ms at 200 events/s; zero lost and zero applied twice.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "events"))

from harness import Fleet, events_environment  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _platform import percentile  # noqa: E402

ENV = events_environment(name="bench-events", redis_db=6)
os.environ.update(ENV)
os.environ.update(PROBE_SERVICE="probe_producer", PROBE_SUBSCRIBES="0", DJANGO_SETTINGS_MODULE="probe_project.settings")

import django  # noqa: E402

django.setup()

from probe.publishing import publish_registrations  # noqa: E402

CONSUMERS = ["probe_a", "probe_b"]


def delete_queues() -> None:
    from marketplace_libs.events import broker

    with broker.connection() as conn:
        for service in [*CONSUMERS, "probe_producer"]:
            for name in (broker.events_queue_name(service), broker.dead_letter_queue_name(service)):
                conn.default_channel.queue_delete(name)


def start(fleet: Fleet, prefetch: int, concurrency: int, pool: str) -> None:
    for service in CONSUMERS:
        fleet.start_worker(service, concurrency=concurrency, pool=pool, MARKETPLACE_EVENTS_PREFETCH=str(prefetch))
    fleet.start_relay("probe_producer")
    fleet.wait_until_received(CONSUMERS, publish_registrations(1, prefix="warmup"), timeout=90)


def outcome(fleet: Fleet, event_ids: list[str]) -> dict:
    lost = doubled = 0
    for service in CONSUMERS:
        counts = fleet.received_counts(service, event_ids)
        lost += len(event_ids) - len(counts)
        doubled += sum(1 for count in counts.values() if count > 1)
    return {"lost": lost, "applied_twice": doubled}


def latencies_ms(fleet: Fleet, event_ids: list[str]) -> list[float]:
    values = []
    for service in CONSUMERS:
        rows = fleet.query(service, "SELECT extract(epoch FROM handled_at - occurred_at) * 1000 FROM probe_received "
                                    "WHERE event_id = ANY(%s::uuid[])", [event_ids])
        values.extend(float(row[0]) for row in rows)
    return sorted(values)


def span_seconds(fleet: Fleet, event_ids: list[str]) -> float:
    first = last = None
    for service in CONSUMERS:
        (start, end), = fleet.query(service, "SELECT min(occurred_at), max(handled_at) FROM probe_received "
                                             "WHERE event_id = ANY(%s::uuid[])", [event_ids])
        first = start if first is None else min(first, start)
        last = end if last is None else max(last, end)
    return (last - first).total_seconds()

def throughput_phase(fleet: Fleet, count: int) -> dict:
    prefix = f"burst{int(time.time())}"
    event_ids = publish_registrations(count, prefix=prefix, per_transaction=100)
    fleet.wait_until_counted(CONSUMERS, prefix, count)
    time.sleep(1)
    elapsed = span_seconds(fleet, event_ids)
    return {"events": count, "seconds": round(elapsed, 2), "events_per_s": round(count / elapsed), **outcome(fleet, event_ids)}


def steady_phase(fleet: Fleet, rate: int, seconds: int, *, close_connections: bool = False) -> dict:
    event_ids: list[str] = []
    prefix = f"steady{int(time.time())}"
    interval = 1.0 / rate

    def closer():
        for fraction in (0.33, 0.66):
            time.sleep(seconds * 0.33)
            subprocess.run(["rabbitmqctl", "close_all_connections", f"bench: {fraction}"], capture_output=True, check=True)

    thread = threading.Thread(target=closer) if close_connections else None
    if thread:
        thread.start()
    started = time.perf_counter()
    for index in range(rate * seconds):
        target = started + index * interval
        delay = target - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        event_ids.extend(publish_registrations(1, prefix=prefix))
    if thread:
        thread.join()
    fleet.wait_until_counted(CONSUMERS, prefix, len(event_ids), timeout=300)
    time.sleep(1)
    values = latencies_ms(fleet, event_ids)
    return {"events": len(event_ids), "rate": rate, "p50_ms": round(percentile(values, 0.5), 1),
            "p99_ms": round(percentile(values, 0.99), 1), "max_ms": round(values[-1], 1), **outcome(fleet, event_ids)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=10000)
    parser.add_argument("--rate", type=int, default=200)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--concurrency", type=int, default=2, help="worker processes (or threads) per consumer")
    parser.add_argument("--pool", default="threads", choices=["prefork", "threads", "solo"])
    parser.add_argument("--prefetch", default="400", help="comma-separated consumer prefetch counts for phase 1")
    args = parser.parse_args()
    prefetches = [int(value) for value in args.prefetch.split(",")]
    fleet = Fleet(ENV)
    delete_queues()
    fleet.migrate("probe_producer", *CONSUMERS)
    from django.db import connection

    connection.close()
    results = {}
    try:
        for prefetch in prefetches:
            start(fleet, prefetch, args.concurrency, args.pool)
            results[f"throughput (prefetch {prefetch})"] = throughput_phase(fleet, args.events)
            print(results[f"throughput (prefetch {prefetch})"], flush=True)
            if prefetch != prefetches[-1]:
                fleet.stop_all()
        results["steady"] = steady_phase(fleet, args.rate, args.seconds)
        print(results["steady"], flush=True)
        results["steady, connections closed twice"] = steady_phase(fleet, args.rate, args.seconds, close_connections=True)
        print(results["steady, connections closed twice"], flush=True)
    finally:
        fleet.stop_all()
    print("\n| phase | figures |\n|---|---|")
    for name, figures in results.items():
        print(f"| {name} | {', '.join(f'{k}={v}' for k, v in figures.items())} |")
    best = max(r["events_per_s"] for k, r in results.items() if k.startswith("throughput"))
    steady = results["steady"]
    clean = all(r["lost"] == 0 and r["applied_twice"] == 0 for r in results.values())
    met = best >= 1000 and steady["p50_ms"] <= 20 and steady["p99_ms"] <= 100 and clean
    print(f"\nbest throughput {best} events/s (target >= 1000); p50 {steady['p50_ms']} ms (<= 20), "
          f"p99 {steady['p99_ms']} ms (<= 100); nothing lost or doubled: {clean}")
    print("targets met" if met else "TARGETS MISSED")
    raise SystemExit(0 if met else 1)


if __name__ == "__main__":
    main()
