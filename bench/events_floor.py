#!/usr/bin/env python3
"""The floor of bench/events_cost.py: the plainest kombu code doing the event backbone's work.

    events_floor.py consume --broker URL --database URL --queue NAME
    events_floor.py produce --kind floor|platform --broker URL --prefix P --count N [--rate R]
                            [--one-at-a-time --await DATABASE_URL:TABLE ...]

``consume``: a kombu consumer on a durable quorum queue bound to ``user.registered`` on the topic
exchange ``marketplace.events``; for each message one INSERT (autocommit) into its own database,
then the ack. No inbox, no schema check, no batching.

``produce --kind floor``: a kombu producer publishing the platform's envelope to the same exchange
with publisher confirms (``confirm_publish``: each publish waits for its confirm), persistent.
``produce --kind platform``: the probe service's producer (tests/events/probe_project) writing each
event to its outbox in a transaction of its own, as a web request would; its relay sends it.

Both producers pace themselves open-loop: event i is due at start + i / rate whatever became of
the earlier ones (--rate 0: as fast as they can). With --one-at-a-time each event is published
only once the previous one is in every --await table.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EVENT_TYPE = "user.registered"
FLOOR_TABLE = "received"


def floor_queue(name: str):
    from kombu import Exchange, Queue

    exchange = Exchange("marketplace.events", type="topic", durable=True)
    return Queue(name, exchange=exchange, routing_key=EVENT_TYPE, durable=True,
                 queue_arguments={"x-queue-type": "quorum"})


def create_floor_table(database_url: str) -> None:
    import psycopg

    with psycopg.connect(database_url, autocommit=True) as connection:
        connection.execute(f"CREATE TABLE IF NOT EXISTS {FLOOR_TABLE} (event_id uuid NOT NULL, username text NOT NULL, "
                           "occurred_at timestamptz NOT NULL, handled_at timestamptz NOT NULL DEFAULT clock_timestamp())")


# --- the floor consumer -------------------------------------------------------------------------------

def consume(broker_url: str, database_url: str, queue_name: str) -> None:
    import psycopg
    from kombu import Connection
    from kombu.mixins import ConsumerMixin

    database = psycopg.connect(database_url, autocommit=True)

    class FloorConsumer(ConsumerMixin):
        def __init__(self, connection):
            self.connection = connection

        def get_consumers(self, Consumer, channel):
            return [Consumer(queues=[floor_queue(queue_name)], callbacks=[self.on_message], accept=["json"],
                             prefetch_count=100)]

        def on_message(self, body, message):
            database.execute(f"INSERT INTO {FLOOR_TABLE} (event_id, username, occurred_at) VALUES (%s, %s, %s)",
                             [body["id"], body["data"]["username"], body["occurred_at"]])
            message.ack()

    with Connection(broker_url, heartbeat=30) as connection:
        FloorConsumer(connection).run()


# --- producers ----------------------------------------------------------------------------------------

def floor_publisher(broker_url: str):
    from kombu import Connection, Exchange

    connection = Connection(broker_url, transport_options={"confirm_publish": True}, heartbeat=30)
    producer = connection.Producer()
    exchange = Exchange("marketplace.events", type="topic", durable=True)

    def publish(index: int, prefix: str) -> None:
        user_id = str(uuid.uuid4())
        envelope = {"id": str(uuid.uuid4()), "type": EVENT_TYPE, "version": 1,
                    "occurred_at": datetime.now(timezone.utc).isoformat(), "producer": "floor", "correlation_id": "",
                    "data": {"user_id": user_id, "email": f"{prefix}-{index}@probe.test",
                             "username": f"{prefix}_{index}_{user_id[:8]}",
                             "date_joined": datetime.now(timezone.utc).isoformat()}}
        producer.publish(envelope, exchange=exchange, routing_key=EVENT_TYPE, serializer="json", delivery_mode=2,
                         message_id=envelope["id"], retry=True, declare=[exchange])

    return publish


def platform_publisher(burst: bool):
    sys.path[:0] = [str(ROOT / "tests" / "events" / "probe_project")]
    os.environ.update(PROBE_SERVICE="probe_producer", PROBE_SUBSCRIBES="0",
                      DJANGO_SETTINGS_MODULE="probe_project.settings")
    import django

    django.setup()
    from marketplace_libs.runtime import freeze_heap
    from probe.publishing import publish_registrations

    freeze_heap()  # as the web processes that publish events do (decision 38)

    def publish(index: int, prefix: str) -> None:
        publish_registrations(1, prefix=f"{prefix}_{index}")  # one event, one transaction

    def publish_burst(count: int, prefix: str) -> None:
        publish_registrations(count, prefix=prefix, per_transaction=100)

    return publish_burst if burst else publish


def arrived(awaited: list[tuple[object, str]], username_prefix: str) -> bool:
    return all(connection.execute(f"SELECT 1 FROM {table} WHERE username LIKE %s",
                                  [username_prefix.replace("_", "\\_") + "\\_%"]).fetchone() for connection, table in awaited)


def produce(args) -> None:
    if args.kind == "platform" and args.rate == 0 and not args.one_at_a_time:
        publish_burst = platform_publisher(burst=True)
        started = time.process_time()
        publish_burst(args.count, args.prefix)
        print(f"producer_cpu_seconds {time.process_time() - started}")
        return
    publish = floor_publisher(args.broker) if args.kind == "floor" else platform_publisher(burst=False)
    # Its own CPU from here on, start-up (imports, Django) left out: what publishing costs.
    cpu_started = time.process_time()
    if args.one_at_a_time:
        import psycopg

        awaited = []
        for spec in args.awaited:
            url, table = spec.rsplit(":", 1)
            awaited.append((psycopg.connect(url, autocommit=True), table))
        for index in range(args.count):
            publish(index, args.prefix)
            # The platform's usernames are "<prefix>_<index>_<index>_..." (publish_registrations adds its own index).
            marker = f"{args.prefix}_{index}" if args.kind == "floor" else f"{args.prefix}_{index}_0"
            deadline = time.monotonic() + 30
            while not arrived(awaited, marker) and time.monotonic() < deadline:
                time.sleep(0.0005)
        print(f"producer_cpu_seconds {time.process_time() - cpu_started}")
        return
    started = time.perf_counter()
    for index in range(args.count):
        if args.rate:
            delay = started + index / args.rate - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
        publish(index, args.prefix)
    print(f"producer_cpu_seconds {time.process_time() - cpu_started}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    actions = parser.add_subparsers(dest="action", required=True)
    consumer = actions.add_parser("consume")
    consumer.add_argument("--broker", required=True)
    consumer.add_argument("--database", required=True)
    consumer.add_argument("--queue", required=True)
    producer = actions.add_parser("produce")
    producer.add_argument("--kind", choices=["floor", "platform"], required=True)
    producer.add_argument("--broker", default="")
    producer.add_argument("--prefix", required=True)
    producer.add_argument("--count", type=int, required=True)
    producer.add_argument("--rate", type=float, default=0)
    producer.add_argument("--one-at-a-time", action="store_true")
    producer.add_argument("--await", dest="awaited", action="append", default=[], metavar="DATABASE_URL:TABLE")
    args = parser.parse_args(argv)
    if args.action == "consume":
        consume(args.broker, args.database, args.queue)
    else:
        produce(args)


if __name__ == "__main__":
    main()
