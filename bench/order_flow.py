#!/usr/bin/env python3
"""The order lifecycle under load: 20 buyers at once, each place -> pay -> deliver -> accept.

    .venv/bin/python bench/order_flow.py [--orders 2000] [--buyers 20] [--workers 2] [--threads 4]
                                         [--warmup 40] [--rate 0] [--no-relay] [--no-queries]

Creates its own database (``bench_orders_marketplace_orders``), migrates the order service, and
gives it one gig per seller (three packages each) by applying ``gig.created`` events through
``marketplace_libs.events.consumer.apply_events``, as the service's worker would. Then runs the
service as ``manage_all.py up`` does (gunicorn, --workers gthread workers of --threads threads) on a
free port, in-service (straight to its port, no nginx), with its outbox relay publishing to a
throwaway RabbitMQ vhost (so no other copy of the platform receives the bench's events).

The service runs with ``bench/orders_service/orders_bench_settings.py``: ``config.settings`` plus
trust in this run's throwaway signing key, with which the bench mints the access tokens of
--buyers buyers and as many sellers (buyer i orders from seller i's gig).

Each buyer is a thread with its own keep-alive connection and runs, without pause, order after
order (--orders in all, after --warmup unmeasured ones; with --rate, the buyers together start
that many orders per second instead):

    POST /api/orders/                       as the buyer          (place)
    pay: the payment service's ``payment.succeeded`` applied in this process as the order
         service's worker applies it (``apply_events``: inbox row, handler, order.paid to the outbox)
    POST /api/orders/<id>/deliver           as the seller
    POST /api/orders/<id>/accept            as the buyer

Reports orders/s and p50/p95/p99 of each call, the CPU each order costs (service, PostgreSQL,
relay, this load generator), then checks the database: every order completed, and per order
exactly one timeline entry and one outbox event per transition (placed, paid, delivered,
completed), one inbox row per payment, every outbox row relayed. Then lists the SQL statements each call
runs (one order replayed in this process through Django's test client). Targets (issue 6):
p95 <= 60 ms for each call; nothing lost or doubled. Exit status 0 when met.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import random
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import psycopg

from _cpu import TICKS, BackendSampler, group_ticks, machine_busy_ticks
from _platform import ROOT, bench_environment, database_url, percentile, recreate_database, running_processes
from devtools.environment import drop_vhost, fresh_vhost, with_vhost

ORDERS_DIR = ROOT / "projects" / "orders"
SETTINGS_DIR = Path(__file__).resolve().parent / "orders_service"
DATABASE_PREFIX = "bench_orders_marketplace_"
DATABASE = f"{DATABASE_PREFIX}orders"
VHOST = "bench_orders"
CALLS = ("place", "pay", "deliver", "accept")
TRANSITIONS = {"placed": "order.placed", "paid": "order.paid", "delivered": "order.delivered",
               "completed": "order.completed"}  # timeline type -> event type
TARGET_P95_MS = 60.0
PACKAGES = [("basic", "Basic", 1, 3, 1), ("standard", "Standard", 2, 5, 2), ("premium", "Premium", 4, 7, "unlimited")]


# --- tokens and signatures ---------------------------------------------------------------------

def signing_key():
    from cryptography.hazmat.primitives.asymmetric import rsa

    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def mint(key, user_id: str, roles: tuple[str, ...]) -> str:
    from marketplace_libs.testing import mint_token

    return mint_token(user_id=user_id, username=f"bench_{user_id[:8]}", roles=roles, lifetime=6 * 3600, key=key)


def jwks(key) -> str:
    from marketplace_libs.testing import test_jwks

    return json.dumps(test_jwks(key))


def payment_succeeded(order: dict):
    """The payment service's ``payment.succeeded`` for ``order``, as the order service's worker receives it."""
    from django.utils import timezone

    from marketplace_libs.events.envelope import Event
    from marketplace_libs.times import iso_utc

    return Event(id=str(uuid.uuid4()), type="payment.succeeded", version=1, occurred_at=timezone.now(),
                 producer="bench", correlation_id="bench-orders", data={
                     "payment_id": str(uuid.uuid4()), "order_id": order["id"], "buyer_id": order["buyer_id"],
                     "seller_id": order["seller_id"], "provider": "sandbox", "amount": order["total"],
                     "currency": order["currency"], "succeeded_at": iso_utc(timezone.now())})


def set_up_django(env: dict) -> None:
    """Django in this process, on the bench's database: the pay step applies events here."""
    os.environ.update(env, MARKETPLACE_LOG_LEVEL="WARNING")  # no access-log lines in the report
    sys.path[:0] = [str(ORDERS_DIR), str(SETTINGS_DIR)]
    import django

    django.setup()


# --- database, broker, service --------------------------------------------------------------------





def manage(env: dict, *arguments: str) -> str:
    done = subprocess.run([sys.executable, "manage.py", *arguments], cwd=ORDERS_DIR, env=env, text=True, capture_output=True)
    if done.returncode:
        raise SystemExit(f"manage.py {' '.join(arguments)} failed:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}")
    return done.stdout


SEED_SCRIPT = """
import json, os, uuid
from django.utils import timezone
from marketplace_libs.events.consumer import apply_events
from marketplace_libs.events.envelope import Event
gigs = json.loads(os.environ["BENCH_GIGS"])
apply_events([Event(id=str(uuid.uuid4()), type="gig.created", version=1, occurred_at=timezone.now(),
                    producer="bench", correlation_id="bench-orders", data=gig) for gig in gigs])
from orders.models import Listing, ListedPackage
print(Listing.objects.count(), ListedPackage.objects.count())
"""


def gig_created(seller_id: str, index: int) -> dict:
    base = 10 + 5 * index
    return {
        "gig_id": str(uuid.uuid4()), "seller_id": seller_id, "title": f"I will design logo number {index}",
        "category": "logo-design", "status": "active", "revision": 1, "updated_at": "2026-06-01T08:00:00Z",
        "packages": [{"tier": tier, "title": f"{title} logo", "description": "", "price": f"{base * factor:.2f}",
                      "currency": "USD", "delivery_days": days, "revisions": revisions}
                     for tier, title, factor, days, revisions in PACKAGES],
    }


def seed(env: dict, gigs: list[dict]) -> None:
    output = manage({**env, "BENCH_GIGS": json.dumps(gigs)}, "shell", "-c", SEED_SCRIPT)
    listings, packages = output.strip().splitlines()[-1].split()  # after any log lines
    assert int(listings) == len(gigs) and int(packages) == 3 * len(gigs), (listings, packages)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def running_service(env: dict, port: int, *, workers: int, threads: int, relay: bool):
    from devtools.processes import web_command

    env = {**env, "MARKETPLACE_WEB_CONCURRENCY": str(workers), "MARKETPLACE_WEB_THREADS": str(threads)}
    commands = {"orders-web": (web_command(ORDERS_DIR, port, asgi=False, env=env).split(), ORDERS_DIR)}
    if relay:
        commands["orders-relay"] = ([sys.executable, "manage.py", "run_outbox_relay"], ORDERS_DIR)

    def is_up() -> bool:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        connection.request("GET", "/api/orders/")
        return connection.getresponse().status == 401  # up, and asking for a token

    with running_processes(commands, env=env, log_dir=Path(env["MARKETPLACE_VAR_DIR"]), is_up=is_up,
                           what="order service") as pids:
        yield {name.removeprefix("orders-"): pid for name, pid in pids.items()}


# --- where the CPU goes ---------------------------------------------------------------------------

class CpuMeter:
    """CPU seconds of the service's processes, of the bench database's PostgreSQL backends, of this
    process and of the whole machine, between start() and stop().

    Backends come and go (CONN_MAX_AGE recycles the service's connections every minute): they are
    sampled every 0.5 s, and one that ended counts with its last sample."""

    def __init__(self, env: dict, groups: dict[str, int]):
        self.groups = groups
        self.sampler = BackendSampler(database_url(env, DATABASE), DATABASE)

    def _snapshot(self) -> dict:
        return {**{name: group_ticks(pgid) for name, pgid in self.groups.items()},
                "client": time.process_time(), "machine": machine_busy_ticks(), "wall": time.perf_counter()}

    def start(self) -> None:
        self.sampler.start()
        time.sleep(0.1)  # the first sample: backends already open count from here
        self.before = self._snapshot()

    def stop(self, orders: int) -> dict:
        after = self._snapshot()
        postgres = self.sampler.stop()
        before = self.before
        spent = {name: (after[name] - before[name]) / TICKS for name in self.groups}
        spent["postgres"] = postgres
        spent["load generator"] = after["client"] - before["client"]
        machine = (after["machine"] - before["machine"]) / TICKS
        spent["other processes"] = max(0.0, machine - sum(spent.values()))
        busy = machine / (after["wall"] - before["wall"]) / (os.cpu_count() or 1)
        return {**{name: 1000 * seconds / orders for name, seconds in spent.items()}, "busy": busy}


# --- the load ---------------------------------------------------------------------------------------

class Buyer:
    def __init__(self, port: int, token: str, seller_token: str, gig_id: str, rng: random.Random):
        self.port, self.token, self.seller_token, self.gig_id, self.rng = port, token, seller_token, gig_id, rng
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.timings: dict[str, list[float]] = {call: [] for call in CALLS}
        self.order_ids: list[str] = []
        self.failures: list[str] = []

    def call(self, name: str, path: str, *, token: str | None = None, body: bytes = b"",
             headers: dict | None = None, expect: int = 200, record: bool = True) -> dict:
        headers = {"Content-Type": "application/json", "Content-Length": str(len(body)), **(headers or {})}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        began = time.perf_counter()
        try:
            self.connection.request("POST", path, body=body, headers=headers)
            response = self.connection.getresponse()
            content = response.read()
        except (OSError, http.client.HTTPException):
            self.connection.close()  # reconnects on the next request; this call counts as failed
            raise
        elapsed = (time.perf_counter() - began) * 1000
        if record:
            self.timings[name].append(elapsed)
        if response.status != expect:
            raise RuntimeError(f"{name}: {response.status} {content[:300]!r}")
        return json.loads(content)

    def pay(self, order: dict, *, record: bool) -> None:
        from marketplace_libs.events.consumer import apply_events

        began = time.perf_counter()
        assert apply_events([payment_succeeded(order)]), order["id"]
        if record:
            self.timings["pay"].append((time.perf_counter() - began) * 1000)

    def one_order(self, *, record: bool) -> None:
        package = self.rng.choice(PACKAGES)[0]
        order = self.call("place", "/api/orders/", token=self.token, expect=201, record=record,
                          body=json.dumps({"gig_id": self.gig_id, "package": package,
                                           "requirements": "Blue and white, please."}).encode())
        self.order_ids.append(order["id"])
        self.pay(order, record=record)
        self.call("deliver", f"/api/orders/{order['id']}/deliver", token=self.seller_token, record=record,
                  body=b'{"message":"Here are your files."}')
        done = self.call("accept", f"/api/orders/{order['id']}/accept", token=self.token, record=record)
        assert done["status"] == "completed", done["status"]

    def run(self, count: int, start: threading.Barrier, *, record: bool, interval: float = 0.0) -> None:
        start.wait()
        next_start = time.perf_counter() + self.rng.uniform(0, interval)  # buyers out of step
        for _ in range(count):
            if interval:
                delay = next_start - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
                next_start += interval
            try:
                self.one_order(record=record)
            except Exception as error:  # noqa: BLE001 - reported, and the run fails
                self.failures.append(f"{type(error).__name__}: {error}")


def run_phase(buyers: list[Buyer], total: int, *, record: bool, meter: CpuMeter | None = None,
              rate: float = 0.0) -> dict:
    shares = [total // len(buyers) + (1 if index < total % len(buyers) else 0) for index in range(len(buyers))]
    start = threading.Barrier(len(buyers) + 1)
    interval = len(buyers) / rate if rate else 0.0  # each buyer starts an order every `interval` seconds
    threads = [threading.Thread(target=buyer.run, args=(share, start), kwargs={"record": record, "interval": interval})
               for buyer, share in zip(buyers, shares)]
    for thread in threads:
        thread.start()
    if meter:
        meter.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    cpu = meter.stop(total) if meter else None
    failures = [failure for buyer in buyers for failure in buyer.failures]
    if failures:
        raise SystemExit(f"{len(failures)} orders failed, e.g. {failures[:3]}")
    return {"orders": total, "seconds": elapsed, "orders_per_s": total / elapsed,
            "cpu": cpu}

# --- what the database says ---------------------------------------------------------------------------

def verify(env: dict, order_ids: list[str], *, relay: bool) -> dict:
    expected_timeline = sorted(TRANSITIONS)
    expected_events = sorted(TRANSITIONS.values())
    with psycopg.connect(database_url(env, DATABASE)) as db:
        def scalar(sql: str, params=()) -> int:
            return db.execute(sql, params).fetchone()[0]

        found = {str(row[0]): (row[1], row[2]) for row in db.execute(
            "SELECT id, status, payment_status FROM orders_order")}
        wrong_timeline = scalar("""
            SELECT count(*) FROM orders_order o WHERE
              (SELECT coalesce(array_agg(t.type ORDER BY t.type), '{}') FROM orders_timelineentry t
               WHERE t.order_id = o.id) <> %s::varchar[]""", [expected_timeline])
        wrong_events = scalar("""
            SELECT count(*) FROM orders_order o WHERE
              (SELECT coalesce(array_agg(e.event_type ORDER BY e.event_type), '{}') FROM events_outboxevent e
               WHERE e.aggregate_id = o.id::text) <> %s::varchar[]""", [expected_events])
        orphan_events = scalar("SELECT count(*) FROM events_outboxevent e WHERE NOT EXISTS "
                               "(SELECT 1 FROM orders_order o WHERE o.id::text = e.aggregate_id)")
        payments_applied = scalar("SELECT count(*) FROM events_inboxevent WHERE event_type = 'payment.succeeded'")
        unrelayed = None
        if relay:
            deadline = time.monotonic() + 60
            while True:
                unrelayed = scalar("SELECT count(*) FROM events_outboxevent WHERE published_at IS NULL")
                if not unrelayed or time.monotonic() > deadline:
                    break
                time.sleep(0.5)
        totals = {"timeline entries": scalar("SELECT count(*) FROM orders_timelineentry"),
                  "outbox events": scalar("SELECT count(*) FROM events_outboxevent")}
    outcome = {
        "orders placed (clients)": len(order_ids),
        "orders in the database": len(found),
        "orders unknown to the clients or missing": len(set(found) ^ set(order_ids)),
        "not completed and paid": sum(1 for state in found.values() if state != ("completed", "paid")),
        "orders without exactly one timeline entry per transition": wrong_timeline,
        "orders without exactly one outbox event per transition": wrong_events,
        "outbox events of no order": orphan_events,
        "payments applied other than once per order": abs(payments_applied - len(found)),
        **totals,
    }
    if relay:
        outcome["outbox events not relayed after 60 s"] = unrelayed
    outcome["clean"] = (len(found) == len(order_ids) and not any(
        value for key, value in outcome.items()
        if key not in ("orders placed (clients)", "orders in the database", *totals)))
    return outcome


# --- the SQL of each call -------------------------------------------------------------------------------

def trace_queries(env: dict, key, seller_id: str, gig_id: str) -> dict[str, list[str]]:
    """One order's three calls through Django's test client in this process, and its payment event; the SQL
    each ran."""
    from django.db import connection
    from django.test import Client

    buyer_id = str(uuid.uuid4())
    buyer = {"HTTP_AUTHORIZATION": f"Bearer {mint(key, buyer_id, ('buyer',))}"}
    seller = {"HTTP_AUTHORIZATION": f"Bearer {mint(key, seller_id, ('buyer', 'seller'))}"}
    client = Client(HTTP_HOST="127.0.0.1")
    statements: dict[str, list[str]] = {}

    def traced(name: str, request):
        captured: list[str] = []

        def capture(execute, sql, params, many, context):
            captured.append(" ".join(sql.split()))
            return execute(sql, params, many, context)

        with connection.execute_wrapper(capture):
            response = request()
        assert response.status_code in (200, 201), (name, response.status_code, response.content[:300])
        statements[name] = captured
        return response.json()

    order = traced("place", lambda: client.post("/api/orders/", {"gig_id": gig_id, "package": "basic"},
                                                content_type="application/json", **buyer))
    captured: list[str] = []

    def capture(execute, sql, params, many, context):
        captured.append(" ".join(sql.split()))
        return execute(sql, params, many, context)

    from marketplace_libs.events.consumer import apply_events

    with connection.execute_wrapper(capture):
        apply_events([payment_succeeded(order)])
    statements["pay"] = captured
    traced("deliver", lambda: client.post(f"/api/orders/{order['id']}/deliver", {"message": "Files."},
                                          content_type="application/json", **seller))
    traced("accept", lambda: client.post(f"/api/orders/{order['id']}/accept", content_type="application/json",
                                         **buyer))
    connection.close()
    return statements


# --- main ---------------------------------------------------------------------------------------------

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=2000, help="measured orders, over all buyers")
    parser.add_argument("--buyers", type=int, default=20, help="concurrent buyers (each with their own seller)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes (as manage_all.py up)")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker (as manage_all.py up)")
    parser.add_argument("--warmup", type=int, default=40, help="unmeasured orders first")
    parser.add_argument("--rate", type=float, default=0.0,
                        help="orders/s over all buyers, each buyer pacing its orders (default 0: no pause at all)")
    parser.add_argument("--no-relay", action="store_true", help="do not run the outbox relay")
    parser.add_argument("--no-queries", action="store_true", help="skip listing the SQL of each call")
    args = parser.parse_args()
    relay = not args.no_relay

    key = signing_key()
    env = bench_environment(
        MARKETPLACE_DATABASE_PREFIX=DATABASE_PREFIX,
        MARKETPLACE_VAR_DIR=str(ROOT / "var" / "bench-orders"),
        MARKETPLACE_BENCH_JWKS=jwks(key),
        DJANGO_SETTINGS_MODULE="orders_bench_settings",
        PYTHONPATH=os.pathsep.join(filter(None, [str(SETTINGS_DIR), os.environ.get("PYTHONPATH")])),
        PYTHONUNBUFFERED="1",
    )
    if relay:
        # A vhost of its own: other copies of the platform have queues bound to order.* on "/".
        fresh_vhost(VHOST, user=urlsplit(env["MARKETPLACE_BROKER_URL"]).username or "guest")
        env["MARKETPLACE_BROKER_URL"] = with_vhost(env["MARKETPLACE_BROKER_URL"], VHOST)

    try:
        recreate_database(env, DATABASE)
        manage(env, "migrate", "--noinput", "-v", "0")
        sellers = [str(uuid.uuid4()) for _ in range(args.buyers)]
        gigs = [gig_created(seller, index) for index, seller in enumerate(sellers)]
        seed(env, gigs)
        set_up_django(env)
        port = free_port()
        with running_service(env, port, workers=args.workers, threads=args.threads, relay=relay) as pids:
            buyers = [Buyer(port, mint(key, str(uuid.uuid4()), ("buyer",)), mint(key, seller, ("buyer", "seller")),
                            gig["gig_id"], random.Random(index))
                      for index, (seller, gig) in enumerate(zip(sellers, gigs))]
            run_phase(buyers, args.warmup, record=False)
            meter = CpuMeter(env, pids)
            result = run_phase(buyers, args.orders, record=True, meter=meter, rate=args.rate)
            order_ids = [order_id for buyer in buyers for order_id in buyer.order_ids]
            outcome = verify(env, order_ids, relay=relay)
        statements = None if args.no_queries else trace_queries(env, key, sellers[0], gigs[0]["gig_id"])
    finally:
        if relay:
            drop_vhost(VHOST)

    timings = {call: [value for buyer in buyers for value in buyer.timings[call]] for call in CALLS}
    figures = {call: {"p50": percentile(values, 0.50), "p95": percentile(values, 0.95),
                      "p99": percentile(values, 0.99), "max": max(values)} for call, values in timings.items()}
    cpu = result["cpu"]
    print(f"\n{args.orders} orders by {args.buyers} concurrent buyers (after {args.warmup} unmeasured), "
          f"{f'paced at {args.rate:g} orders/s' if args.rate else 'no pause between orders'}, "
          f"gunicorn {args.workers} workers x {args.threads} threads, relay {'on' if relay else 'off'}: "
          f"{result['orders_per_s']:.1f} orders/s ({4 * result['orders_per_s']:.0f} calls/s) in {result['seconds']:.1f} s")
    print("| call | p50 ms | p95 ms | p99 ms | max ms |\n|---|---|---|---|---|")
    for call, f in figures.items():
        print(f"| {call} | {f['p50']:.1f} | {f['p95']:.1f} | {f['p99']:.1f} | {f['max']:.1f} |")
    print("CPU ms per order: " + ", ".join(f"{name} {value:.1f}" for name, value in cpu.items() if name != "busy")
          + f"; machine {100 * cpu['busy']:.0f}% busy")
    print("\nDatabase check:")
    for name, value in outcome.items():
        print(f"  {name}: {value}")
    if statements:
        print("\nSQL per call (one order, through Django's test client):")
        for call, sqls in statements.items():
            print(f"  {call}: {len(sqls)} statements")
            for sql in sqls:
                print(f"    {sql if len(sql) <= 160 else sql[:157] + '...'}")
    met = all(f["p95"] <= TARGET_P95_MS for f in figures.values()) and outcome["clean"]
    print(f"\np95 per call (target <= {TARGET_P95_MS:g} ms): "
          + ", ".join(f"{call} {f['p95']:.1f}" for call, f in figures.items())
          + f"; nothing lost or doubled: {outcome['clean']}")
    print("targets met" if met else "TARGETS MISSED")
    raise SystemExit(0 if met else 1)


if __name__ == "__main__":
    main()
