#!/usr/bin/env python3
"""The failover drill (issue 11): one of two web processes killed under load; one worker killed under load.

    .venv/bin/python bench/failover.py [--phase all|web|events] [--users 20] [--rate 100] [--seconds 20]
                                       [--write-share 0.2] [--kill users|users-2] [--no-restart]
                                       [--events 3000] [--event-rate 200]

Phase 1, ``web``: the user service runs as two gunicorn processes (``MARKETPLACE_WEB_PROCESSES=2``,
ports ``port`` and ``port + 100``) behind the gateway's nginx, with the gateway app, the auth
service and the user service's outbox relay: the processes of ``manage_all.py up``
(devtools/processes.py), started one by one here, because honcho stops them all when one exits.
It has its own ports (28380, 28400...), databases (``bench_failover_marketplace_*``), Redis db 9,
var/bench-failover and a throwaway RabbitMQ vhost. --users users register and log in through the
gateway; then one thread per user sends, at --rate requests/s in all for --seconds,
``GET /api/users/<someone>`` (80%) or ``PATCH /api/users/me`` with a display name never used before
(--write-share). At 1/3 of the run the --kill process is SIGKILLed (its whole process group: master
and workers, requests in flight and all); at 2/3 it is started again (unless --no-restart).
Afterwards the users database is checked, user by user: the profile's ``revision`` equals the number of
``user.profile_updated`` outbox rows and their revisions run 1..n; its display name is the newest
event's; every write answered 2xx is there exactly once; a write that failed is there exactly once
(committed, answer lost) or not at all; nothing is there that was not sent, nor out of order.
Targets: no failed GET; every failed write refused with an HTTP answer (no client timeout); every check
of the database holds.

Phase 2, ``events``: copies of the probe service (tests/events/probe_project) as in bench/events.py:
this process publishes --events ``user.registered`` events through the outbox at --event-rate to two
consumers (``probe_a``, ``probe_b``: Celery workers); ``probe_a``'s worker is SIGKILLed at 1/3 of the
run and started again 2 s later. Target: 0 lost and 0 applied twice at both consumers.

Prints a summary table; exit status 0 when every target is met.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(Path(__file__).resolve().parent)]

from _platform import percentile, stop_group  # noqa: E402
from devtools.environment import drop_vhost, fresh_vhost, with_vhost  # noqa: E402

WEB_NAMES = ("nginx", "gateway", "auth", "users", "users-2", "users-relay")
WEB_VHOST = "bench_failover"
EVENTS_VHOST = "bench_failover_events"
CONSUMERS = ["probe_a", "probe_b"]
KILLED_CONSUMER = "probe_a"
PASSWORD = "failover-Drill-9f3k2"


# --- shared helpers ------------------------------------------------------------------------------

# --- phase 1: a web process killed under steady load ---------------------------------------------------

def web_environment() -> dict:
    from _platform import bench_environment

    env = bench_environment(
        MARKETPLACE_GATEWAY_PORT="28380",
        MARKETPLACE_PORT_BASE="28400",
        MARKETPLACE_DATABASE_PREFIX="bench_failover_marketplace_",
        MARKETPLACE_VAR_DIR=str(ROOT / "var" / "bench-failover"),
        MARKETPLACE_PUBLIC_URL="http://127.0.0.1:28380",
        MARKETPLACE_WEB_PROCESSES="2",
    )
    redis = urlsplit(env["MARKETPLACE_REDIS_URL"])
    env["MARKETPLACE_REDIS_URL"] = f"{redis.scheme}://{redis.netloc}/9"
    env["MARKETPLACE_BROKER_URL"] = with_vhost(env["MARKETPLACE_BROKER_URL"], WEB_VHOST)
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    return env


class Platform:
    """The processes of the drill, each in its own process group (so a kill takes its workers too)."""

    def __init__(self, env: dict, processes: list, log_dir: Path):
        self.env = env
        self.specs = {process.name: process for process in processes}
        self.log_dir = log_dir
        self.running: dict[str, subprocess.Popen] = {}

    def start(self, name: str) -> None:
        spec = self.specs[name]
        log = open(self.log_dir / f"{name}.log", "a")
        self.running[name] = subprocess.Popen(spec.command, shell=True, cwd=spec.cwd, env={**self.env, **spec.env},
                                              stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()

    def kill(self, name: str) -> None:
        process = self.running.pop(name)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()

    def exited(self) -> list[str]:
        return [name for name, process in self.running.items() if process.poll() is not None]

    def stop_all(self) -> None:
        for name in list(self.running):
            stop_group(self.running.pop(name))


def wait_healthy(urls: list[str], platform: Platform, timeout: float = 120) -> None:
    """Each URL answers 200 (or, written ``404 <url>``, the service's own 404)."""
    import httpx

    deadline = time.monotonic() + timeout
    pending = list(urls)
    while pending:
        if platform.exited():
            raise SystemExit(f"exited during start: {platform.exited()} (logs in {platform.log_dir})")
        with contextlib.suppress(httpx.HTTPError):
            expected, _, url = pending[0].rpartition(" ")
            if httpx.get(url, timeout=2).status_code == int(expected or 200):
                pending.pop(0)
                continue
        if time.monotonic() > deadline:
            raise SystemExit(f"not healthy after {timeout}s: {pending[0]} (logs in {platform.log_dir})")
        time.sleep(0.3)


class UserSession:
    def __init__(self, index: int, tag: str):
        self.index = index
        self.username = f"fo_{tag}_{index:02d}"
        self.email = f"{self.username}@failover.test"
        self.id = ""
        self.access = ""


def sign_up(client, users: list[UserSession]) -> None:
    for user in users:
        response = client.post("/api/auth/register",
                               json={"email": user.email, "username": user.username, "password": PASSWORD})
        if response.status_code != 201:
            raise SystemExit(f"register {user.username}: {response.status_code} {response.text[:300]}")
        user.id = response.json()["id"]
        response = client.post("/api/auth/login", json={"email": user.email, "password": PASSWORD})
        if response.status_code != 200:
            raise SystemExit(f"login {user.username}: {response.status_code} {response.text[:300]}")
        user.access = response.json()["access"]
        response = client.get("/api/users/me", headers={"Authorization": f"Bearer {user.access}"})
        if response.status_code != 200:  # creates the profile from the token (no user worker runs here)
            raise SystemExit(f"GET /api/users/me {user.username}: {response.status_code} {response.text[:300]}")


def run_load(base_url: str, users: list[UserSession], *, rate: float, seconds: float, write_share: float,
             on_time) -> tuple[list[dict], float]:
    """One thread per user, each paced at rate/len(users); ``on_time(elapsed)`` is called from a
    timer thread. Returns every request's record and the measured wall time."""
    import httpx

    records: list[dict] = []
    lock = threading.Lock()
    interval = len(users) / rate
    started = time.perf_counter() + 0.2
    stop_at = started + seconds

    def user_loop(user: UserSession) -> None:
        rng = random.Random(user.index)
        headers = {"Authorization": f"Bearer {user.access}"}
        sequence = 0
        next_at = started + interval * user.index / len(users)  # staggered: an even stream in all
        with httpx.Client(base_url=base_url, timeout=httpx.Timeout(15.0, connect=5.0)) as client:
            while True:
                now = time.perf_counter()
                if next_at >= stop_at:
                    break
                if next_at > now:
                    time.sleep(next_at - now)
                next_at = max(next_at + interval, time.perf_counter())  # a late answer skips, never bursts
                record = {"user": user.index, "at": time.perf_counter() - started}
                try:
                    if rng.random() < write_share:
                        sequence += 1
                        name = f"{user.username} w{sequence:05d}"
                        record.update(method="PATCH", name=name, sequence=sequence)
                        begin = time.perf_counter()
                        response = client.patch("/api/users/me", json={"display_name": name}, headers=headers)
                    else:
                        target = users[rng.randrange(len(users))].username
                        record.update(method="GET")
                        begin = time.perf_counter()
                        response = client.get(f"/api/users/{target}", headers=headers)
                    record["ms"] = (time.perf_counter() - begin) * 1000
                    record["status"] = response.status_code
                    if record["method"] == "GET" and response.status_code == 200 \
                            and response.json().get("username") != target:
                        record["status"] = "wrong-body"
                    if response.status_code >= 300:
                        record["problem"] = response.headers.get("content-type", "")
                except httpx.HTTPError as error:
                    record["ms"] = (time.perf_counter() - begin) * 1000
                    record["status"] = type(error).__name__
                with lock:
                    records.append(record)

    def timer() -> None:
        while True:
            elapsed = time.perf_counter() - started
            if elapsed >= seconds:
                return
            on_time(elapsed)
            time.sleep(0.05)

    threads = [threading.Thread(target=user_loop, args=(user,)) for user in users]
    threads.append(threading.Thread(target=timer))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return records, time.perf_counter() - started


def verify_database(env: dict, users: list[UserSession], records: list[dict]) -> dict:
    """The users database, user by user, against what was sent and what was answered."""
    import psycopg

    parts = urlsplit(env["MARKETPLACE_DATABASE_URL"])
    url = urlunsplit(("postgresql", parts.netloc, f"/{env['MARKETPLACE_DATABASE_PREFIX']}users", "", ""))
    ids = [user.id for user in users]
    with psycopg.connect(url, autocommit=True) as connection:
        profiles = {str(row[0]): row[1:] for row in connection.execute(
            "SELECT user_id, display_name, revision FROM profiles_profile WHERE user_id = ANY(%s::uuid[])", [ids])}
        events = collections.defaultdict(list)
        for user_id, name, revision, published in connection.execute(
                "SELECT data->>'user_id', data->>'display_name', (data->>'revision')::int, published_at IS NOT NULL "
                "FROM events_outboxevent WHERE event_type = 'user.profile_updated' AND data->>'user_id' = ANY(%s) "
                "ORDER BY id", [ids]):
            events[user_id].append((name, revision, published))
    writes = collections.defaultdict(list)
    for record in sorted((r for r in records if r["method"] == "PATCH"), key=lambda r: r["sequence"]):
        writes[record["user"]].append(record)

    problems: list[str] = []
    outcome = collections.Counter()
    for user in users:
        if user.id not in profiles:
            problems.append(f"{user.username}: no profile")
            continue
        display_name, revision = profiles[user.id]
        rows = events[user.id]
        names = [name for name, _revision, _published in rows]
        if revision != len(rows):
            problems.append(f"{user.username}: revision {revision} but {len(rows)} profile_updated events (half-applied)")
        if [r for _n, r, _p in rows] != list(range(1, len(rows) + 1)):
            problems.append(f"{user.username}: event revisions {[r for _n, r, _p in rows]} are not 1..{len(rows)}")
        if rows and display_name != names[-1]:
            problems.append(f"{user.username}: display name {display_name!r} but newest event {names[-1]!r}")
        if not rows and display_name:
            problems.append(f"{user.username}: display name {display_name!r} without any event")
        counts = collections.Counter(names)
        sent = {record["name"]: record for record in writes[user.index]}
        for name, count in counts.items():
            if count > 1:
                problems.append(f"{user.username}: {name!r} applied {count} times")
            if name not in sent:
                problems.append(f"{user.username}: {name!r} applied but never sent")
        sequences = [sent[name]["sequence"] for name in names if name in sent]
        if sequences != sorted(sequences):
            problems.append(f"{user.username}: writes applied out of order")
        for name, record in sent.items():
            status = record["status"]
            ok = isinstance(status, int) and 200 <= status < 300
            present = counts.get(name, 0)
            if ok:
                outcome["2xx, applied" if present else "2xx, MISSING"] += 1
                if not present:
                    problems.append(f"{user.username}: {name!r} answered {status} but not in the database")
            else:
                outcome[f"failed ({status}), {'committed, answer lost' if present else 'not applied'}"] += 1
    unpublished = sum(1 for rows in events.values() for _n, _r, published in rows if not published)
    return {"problems": problems, "outcome": dict(outcome), "events": sum(len(rows) for rows in events.values()),
            "unpublished": unpublished}


def upstream_retries(log_path: Path) -> collections.Counter:
    """From nginx's access log: /api/users/ requests nginx passed to a second upstream, by method and status."""
    retried = collections.Counter()
    for line in log_path.read_text(errors="replace").splitlines():
        if not line.startswith("{"):
            continue
        with contextlib.suppress(ValueError):
            entry = json.loads(line)
            if entry.get("url.path", "").startswith("/api/users/") and \
                    "," in entry.get("marketplace.upstream_response_time", ""):
                retried[f"{entry['http.request.method']} {entry['http.response.status_code']}"] += 1
    return retried


def web_phase(args) -> dict:
    env = web_environment()
    from devtools.processes import child_environment

    env = child_environment(env)
    os.environ.update(env)  # topology (ports, process count) reads the process environment
    os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)
    from devtools.processes import platform_processes, var_dir
    from marketplace_libs.topology import gateway_app_port, service

    import httpx

    fresh_vhost(WEB_VHOST)
    log_dir = var_dir(env) / "log"
    log_dir.mkdir(parents=True, exist_ok=True)
    for old in log_dir.glob("*.log"):
        old.unlink()
    print("== migrate (manage_all.py migrate)", flush=True)
    done = subprocess.run([sys.executable, str(ROOT / "manage_all.py"), "migrate"], cwd=ROOT, env=env,
                          capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"migrate failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    processes = [p for p in platform_processes(env, var_dir(env) / "run") if p.name in WEB_NAMES]
    missing = set(WEB_NAMES) - {p.name for p in processes}
    if missing:
        raise SystemExit(f"not in platform_processes(): {sorted(missing)} (is MARKETPLACE_WEB_PROCESSES read?)")
    platform = Platform(env, processes, log_dir)
    users_spec, auth_spec = service("users"), service("auth")
    ports = dict(zip(("users", "users-2"), users_spec.process_ports()))
    base_url = f"http://127.0.0.1:{env['MARKETPLACE_GATEWAY_PORT']}"
    try:
        for name in WEB_NAMES:
            platform.start(name)
        # The gateway's /healthz asks every service, and only some run here: each process's /readyz.
        wait_healthy([f"http://127.0.0.1:{gateway_app_port()}/readyz", f"{auth_spec.local_url}/readyz",
                      *(f"http://127.0.0.1:{port}/readyz" for port in ports.values()),
                      f"404 {base_url}/api/users/no-such-user"], platform)
        tag = uuid.uuid4().hex[:6]
        users = [UserSession(index, tag) for index in range(args.users)]
        with httpx.Client(base_url=base_url, timeout=30) as client:
            sign_up(client, users)
            for user in users:  # warm: keep-alive connections, verdict cache, both processes' workers
                for other in users[:5]:
                    client.get(f"/api/users/{other.username}", headers={"Authorization": f"Bearer {user.access}"})
        events_at: dict[str, float] = {}
        kill_at, restart_at = args.seconds / 3, 2 * args.seconds / 3

        def on_time(elapsed: float) -> None:
            if "kill" not in events_at and elapsed >= kill_at:
                platform.kill(args.kill)
                events_at["kill"] = elapsed
                print(f"   {elapsed:5.1f} s  SIGKILL {args.kill} (port {ports[args.kill]}, master and workers)", flush=True)
            if args.restart and "kill" in events_at and "restart" not in events_at and elapsed >= restart_at:
                platform.start(args.kill)
                events_at["restart"] = elapsed
                print(f"   {elapsed:5.1f} s  {args.kill} started again", flush=True)

        print(f"== load: {args.users} users, {args.rate} req/s for {args.seconds} s, "
              f"{args.write_share:.0%} PATCH /api/users/me", flush=True)
        records, wall = run_load(base_url, users, rate=args.rate, seconds=args.seconds,
                                 write_share=args.write_share, on_time=on_time)
        if "restart" in events_at:
            wait_healthy([f"http://127.0.0.1:{ports[args.kill]}/readyz"], platform, timeout=60)
        time.sleep(3)  # the relay publishes the last outbox rows; nginx flushes its log (1 s buffer)
        if platform.exited():
            print(f"   note: exited during the run: {platform.exited()}", flush=True)
        verdict = verify_database(env, users, records)
        retried = upstream_retries(log_dir / "nginx.log")
    finally:
        platform.stop_all()
        drop_vhost(WEB_VHOST)

    by_method = collections.defaultdict(list)
    failures = collections.Counter()
    for record in records:
        by_method[record["method"]].append(record)
        if not (isinstance(record["status"], int) and 200 <= record["status"] < 300):
            failures[f"{record['method']} {record['status']}"] += 1
    kill = events_at.get("kill", 0.0)
    end_of_outage = events_at.get("restart", args.seconds)
    during = [r["ms"] for r in records if r["method"] == "GET" and kill <= r["at"] < kill + 3]
    result = {
        "requests": len(records), "seconds": round(wall, 1), "req_per_s": round(len(records) / wall, 1),
        "killed": args.kill, "killed_at_s": round(kill, 1), "restarted_at_s": round(events_at["restart"], 1)
        if "restart" in events_at else None,
        "outage_window_s": round(end_of_outage - kill, 1),
        "failures": dict(failures),
        "latency": {method: {"count": len(rows), "p50_ms": round(percentile([r["ms"] for r in rows], 0.5), 1),
                             "p99_ms": round(percentile([r["ms"] for r in rows], 0.99), 1),
                             "max_ms": round(max((r["ms"] for r in rows), default=0), 1)}
                    for method, rows in sorted(by_method.items())},
        "get_p99_ms_first_3s_after_kill": round(percentile(during, 0.99), 1),
        "all": {"p50_ms": round(percentile([r["ms"] for r in records], 0.5), 1),
                "p99_ms": round(percentile([r["ms"] for r in records], 0.99), 1)},
        "nginx_passed_to_other_process": dict(retried),
        "writes": verdict["outcome"], "profile_updated_events": verdict["events"],
        "events_not_relayed": verdict["unpublished"], "database_problems": verdict["problems"],
    }
    failed_gets = sum(count for key, count in failures.items() if key.startswith("GET "))
    # Refused cleanly: an HTTP answer in problem+json (nginx's 502 says "try again"), not a hang or a reset.
    unclean = sum(1 for r in records if r["method"] == "PATCH" and not (
        isinstance(r["status"], int) and (r["status"] < 300 or "problem+json" in r.get("problem", ""))))
    result["targets"] = {
        "no failed GET": failed_gets == 0,
        "failed writes refused with a problem+json answer (no timeout/reset)": unclean == 0,
        "database consistent (none half-applied, doubled, lost or phantom)": not verdict["problems"],
    }
    return result


# --- phase 2: a consumer's worker killed under load -------------------------------------------------

def events_phase(args) -> dict:
    sys.path.insert(0, str(ROOT / "tests" / "events"))
    from harness import Fleet, events_environment

    env = events_environment(name="bench-failover-events", redis_db=10)
    env["MARKETPLACE_BROKER_URL"] = with_vhost(env["MARKETPLACE_BROKER_URL"], EVENTS_VHOST)
    os.environ.update(env)
    os.environ.update(PROBE_SERVICE="probe_producer", PROBE_SUBSCRIBES="0",
                      DJANGO_SETTINGS_MODULE="probe_project.settings")
    import django

    django.setup()
    from django.db import connection
    from probe.publishing import publish_registrations

    fresh_vhost(EVENTS_VHOST)
    fleet = Fleet(env)
    fleet.migrate("probe_producer", *CONSUMERS)
    connection.close()
    worker = f"{KILLED_CONSUMER}-worker"
    marks: dict[str, float] = {}
    try:
        for consumer in CONSUMERS:
            fleet.start_worker(consumer)
        fleet.start_relay("probe_producer")
        fleet.wait_until_received(CONSUMERS, publish_registrations(1, prefix="warmup"), timeout=90)
        seconds = args.events / args.event_rate
        prefix = f"failover{int(time.time())}"

        def killer() -> None:
            time.sleep(seconds / 3)
            fleet.kill(worker)
            marks["kill"] = time.perf_counter() - started
            print(f"   {marks['kill']:5.1f} s  SIGKILL {worker}", flush=True)
            time.sleep(2)
            fleet.start_worker(KILLED_CONSUMER)
            marks["restart"] = time.perf_counter() - started
            print(f"   {marks['restart']:5.1f} s  {worker} started again", flush=True)

        print(f"== events: {args.events} at {args.event_rate}/s to {', '.join(CONSUMERS)}", flush=True)
        event_ids: list[str] = []
        thread = threading.Thread(target=killer)
        started = time.perf_counter()
        thread.start()
        interval = 1.0 / args.event_rate
        for index in range(args.events):
            delay = started + index * interval - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            event_ids.extend(publish_registrations(1, prefix=prefix))
        published = time.perf_counter() - started
        thread.join()
        fleet.wait_until_counted(CONSUMERS, prefix, len(event_ids), timeout=300)
        drained = time.perf_counter() - started
        time.sleep(3)  # a second application, were there one, would land now
        per_consumer = {}
        for consumer in CONSUMERS:
            counts = fleet.received_counts(consumer, event_ids)
            (p50, p99, worst), = fleet.query(
                consumer, "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY d), "
                          "percentile_cont(0.99) WITHIN GROUP (ORDER BY d), max(d) FROM ("
                          "SELECT extract(epoch FROM handled_at - occurred_at) * 1000 AS d FROM probe_received "
                          "WHERE event_id = ANY(%s::uuid[])) latencies", [event_ids])
            per_consumer[consumer] = {"lost": len(event_ids) - len(counts),
                                      "applied_twice": sum(1 for count in counts.values() if count > 1),
                                      "p50_ms": round(float(p50), 1), "p99_ms": round(float(p99), 1),
                                      "max_ms": round(float(worst), 1)}
    finally:
        fleet.stop_all()
        drop_vhost(EVENTS_VHOST)
    result = {"events": len(event_ids), "published_in_s": round(published, 1),
              "events_per_s": round(len(event_ids) / published), "killed": worker,
              "killed_at_s": round(marks.get("kill", 0), 1), "restarted_at_s": round(marks.get("restart", 0), 1),
              "all_handled_at_s": round(drained, 1), "consumers": per_consumer}
    result["targets"] = {"0 lost, 0 applied twice at both consumers":
                         all(c["lost"] == 0 and c["applied_twice"] == 0 for c in per_consumer.values())}
    return result


# --- the drill --------------------------------------------------------------------------------------

def summary(results: dict) -> bool:
    print("\n| phase | figure | value |\n|---|---|---|")
    web = results.get("web")
    if web:
        rows = [("requests", f"{web['requests']} in {web['seconds']} s = {web['req_per_s']} req/s"),
                ("killed", f"{web['killed']} at {web['killed_at_s']} s, " + (
                    f"started again at {web['restarted_at_s']} s" if web["restarted_at_s"] is not None
                    else "not started again")),
                ("failures", ", ".join(f"{k}: {v}" for k, v in sorted(web["failures"].items())) or "none")]
        for method, figures in web["latency"].items():
            rows.append((f"{method} latency", f"n={figures['count']}, p50 {figures['p50_ms']} ms, "
                                              f"p99 {figures['p99_ms']} ms, max {figures['max_ms']} ms"))
        rows += [("all latency", f"p50 {web['all']['p50_ms']} ms, p99 {web['all']['p99_ms']} ms"),
                 ("GET p99, 3 s after the kill", f"{web['get_p99_ms_first_3s_after_kill']} ms"),
                 ("passed to the other process by nginx",
                  ", ".join(f"{k}: {v}" for k, v in sorted(web["nginx_passed_to_other_process"].items())) or "none"),
                 ("writes", ", ".join(f"{k}: {v}" for k, v in sorted(web["writes"].items()))),
                 ("profile_updated events", f"{web['profile_updated_events']} ({web['events_not_relayed']} not relayed)"),
                 ("database problems", "; ".join(web["database_problems"][:10]) or "none")]
        for name, value in rows:
            print(f"| web | {name} | {value} |")
    events = results.get("events")
    if events:
        print(f"| events | published | {events['events']} in {events['published_in_s']} s = {events['events_per_s']}/s |")
        print(f"| events | killed | {events['killed']} at {events['killed_at_s']} s, started again at "
              f"{events['restarted_at_s']} s; all handled at {events['all_handled_at_s']} s |")
        for consumer, figures in events["consumers"].items():
            print(f"| events | {consumer} | lost {figures['lost']}, applied twice {figures['applied_twice']}, "
                  f"p50 {figures['p50_ms']} ms, p99 {figures['p99_ms']} ms, max {figures['max_ms']} ms |")
    met = True
    print()
    for phase, figures in results.items():
        for target, ok in figures["targets"].items():
            met &= ok
            print(f"{phase}: {target}: {'met' if ok else 'MISSED'}")
    print("targets met" if met else "TARGETS MISSED")
    return met


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--phase", default="all", choices=["all", "web", "events"])
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--rate", type=float, default=100, help="requests/s in all")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--write-share", type=float, default=0.2)
    parser.add_argument("--kill", default="users", choices=["users", "users-2"])
    parser.add_argument("--no-restart", dest="restart", action="store_false")
    parser.add_argument("--events", type=int, default=3000)
    parser.add_argument("--event-rate", type=int, default=200)
    parser.add_argument("--result", help=argparse.SUPPRESS)  # a phase run as a child writes its figures here
    args = parser.parse_args()

    if args.phase != "all":
        result = (web_phase if args.phase == "web" else events_phase)(args)
        if args.result:
            Path(args.result).write_text(json.dumps(result))
            return
        raise SystemExit(0 if summary({args.phase: result}) else 1)

    # Each phase in a process of its own: they set up Django (and the environment) differently.
    results = {}
    passed, skip = [], False
    for argument in sys.argv[1:]:
        if skip or argument.startswith("--phase"):
            skip = argument == "--phase"
            continue
        passed.append(argument)
    for phase in ("web", "events"):
        with tempfile.NamedTemporaryFile(suffix=".json") as handle:
            done = subprocess.run([sys.executable, __file__, *passed, "--phase", phase, "--result", handle.name])
            if done.returncode:
                raise SystemExit(f"phase {phase} did not finish (exit {done.returncode})")
            results[phase] = json.loads(Path(handle.name).read_text())
    print(json.dumps(results, indent=1))
    raise SystemExit(0 if summary(results) else 1)


if __name__ == "__main__":
    main()
