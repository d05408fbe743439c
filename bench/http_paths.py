#!/usr/bin/env python3
"""Cost per request of the hot HTTP paths, against a framework floor measured in the same run.

    python3 manage_all.py bench http [--quick] [--gigs 100000] [--only WORD] [--profile]

Starts a private copy of the platform (``manage_all.py up`` on ports 28480/28500+, databases
``bench_http_marketplace_*``, Redis db 13, RabbitMQ vhost ``bench_http``) and beside it the floor
(bench/floor_http: plain DRF generic views and ModelSerializers over the same tables, no middleware,
gunicorn with the services' workers and threads). The gig database gets --gigs gigs as
bench/gig_search.py seeds them, once: a later run with the same --gigs reuses them.

Per path, floor and service take turns (floor, service, floor, service...) under closed-loop load
of 8 clients; then the service alone under paced (open-loop) load at 50% of its saturation rate,
latency counted from each request's scheduled start; then one client alone; then the floor the same
way at 50% of its own saturation, shown beside the service's tail (what the machine alone does to the
plainest code; the target reads the service's). CPU comes from /proc:
the service's web processes (gunicorn master and workers), the floor's, PostgreSQL's backends on the
path's database, and for paths through the gateway nginx and the edge app.

Targets (issue 24): service CPU per request <= 1.5 x the floor's; through the gateway, nginx and the
edge app <= 0.3 x the floor's; PostgreSQL <= 8 ms per search and <= 4 ms per browse; paced p99
<= 5 x the single-client p50 with no errors. The last line is ``N of M paths within target``; exit
status 0 only when all are.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import http.client
import json
import os
import queue
import random
import signal
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import httpx
import psycopg

from _cpu import TICKS, BackendSampler, process_ticks
from _platform import ROOT, bench_environment, database_url, percentile, running_platform, running_processes
from gig_search import browse_params, search_params, seed
from devtools.environment import drop_vhost, fresh_vhost, with_vhost

FLOOR_DIR = Path(__file__).resolve().parent / "floor_http"
PREFIX = "bench_http_marketplace_"
GATEWAY_PORT, PORT_BASE, FLOOR_PORT = 28480, 28500, 28590
VHOST = "bench_http"
LOCK = "/tmp/marketplace-bench.lock"
CLIENTS = 8
SLOTS = {"auth": 1, "gigs": 3, "orders": 4}  # marketplace_libs.topology.ALL_SERVICES


@dataclass
class Path_:
    name: str
    service: str  # whose web processes serve it
    through_gateway: bool
    make: callable  # rng -> (method, path, body or None)
    token: str = ""  # "buyer" when the path needs the buyer's bearer token
    pg_target_ms: float | None = None


@dataclass
class Run:
    requests: int = 0
    seconds: float = 0.0
    errors: list = field(default_factory=list)
    latencies: list = field(default_factory=list)
    cpu: dict = field(default_factory=dict)  # who -> CPU seconds

    def add(self, other: "Run") -> None:
        self.requests += other.requests
        self.seconds += other.seconds
        self.errors += other.errors
        self.latencies += other.latencies
        for who, seconds in other.cpu.items():
            self.cpu[who] = self.cpu.get(who, 0.0) + seconds

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def ms_per_request(self, who: str) -> float:
        return 1000 * self.cpu.get(who, 0.0) / self.requests if self.requests else float("nan")


# --- processes and their CPU -------------------------------------------------------------------------

def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _all_pids() -> list[int]:
    return [int(entry.name) for entry in Path("/proc").iterdir() if entry.name.isdigit()]


def _parent(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError):
        return 0


def gunicorn_pids(port: int) -> list[int]:
    """A gunicorn's master and workers: the processes whose command line binds ``port``."""
    needle = f"--bind 127.0.0.1:{port} "
    return [pid for pid in _all_pids() if needle in _cmdline(pid) + " "]


def nginx_pids(var_dir: Path) -> list[int]:
    masters = [pid for pid in _all_pids() if "nginx" in _cmdline(pid) and str(var_dir) in _cmdline(pid)]
    return masters + [pid for pid in _all_pids() if _parent(pid) in masters]


def ticks(pids: list[int]) -> int:
    return sum(process_ticks(pid) for pid in pids)


# --- load ----------------------------------------------------------------------------------------------

def _request(connection: http.client.HTTPConnection, method: str, path: str, body, headers: dict) -> int:
    payload = json.dumps(body).encode() if body is not None else None
    connection.request(method, path, body=payload, headers=headers)
    response = connection.getresponse()
    response.read()
    return response.status


def _headers(token: str, body) -> dict:
    headers = {"Host": "127.0.0.1"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if body is not None:
        headers["Content-Type"] = "application/json"
    return headers


def closed_loop(port: int, bench_path: Path_, token: str, *, clients: int, seconds: float, seed_: int) -> Run:
    """``clients`` clients, each sending its next request as soon as the last one is answered."""
    run = Run()
    lock = threading.Lock()
    barrier = threading.Barrier(clients + 1)
    stop_at = [0.0]

    def client(index: int) -> None:
        rng = random.Random(seed_ * 1000 + index)
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        mine, errors = [], []
        barrier.wait()
        while time.perf_counter() < stop_at[0]:
            method, path, body = bench_path.make(rng)
            began = time.perf_counter()
            try:
                code = _request(connection, method, path, body, _headers(token, body))
            except (OSError, http.client.HTTPException) as error:
                code = repr(error)
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            mine.append(1000 * (time.perf_counter() - began))
            if code not in (200, 201):
                errors.append(f"{code} {method} {path}")
        connection.close()
        with lock:
            run.latencies += mine
            run.errors += errors

    threads = [threading.Thread(target=client, args=(index,), daemon=True) for index in range(clients)]
    for thread in threads:
        thread.start()
    stop_at[0] = time.perf_counter() + seconds
    barrier.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    run.seconds = time.perf_counter() - began
    run.requests = len(run.latencies)
    return run


def paced(port: int, bench_path: Path_, token: str, *, rate: float, seconds: float, seed_: int) -> Run:
    """Open loop: requests start at ``rate`` per second whatever the answers do; a request's latency
    runs from its scheduled start, so time spent waiting for a free connection counts."""
    run = Run()
    lock = threading.Lock()
    due: queue.Queue = queue.Queue()
    rng = random.Random(seed_)

    def worker() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while (item := due.get()) is not None:
            scheduled, (method, path, body) = item
            try:
                code = _request(connection, method, path, body, _headers(token, body))
            except (OSError, http.client.HTTPException) as error:
                code = repr(error)
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            latency = 1000 * (time.perf_counter() - scheduled)
            with lock:
                run.latencies.append(latency)
                if code not in (200, 201):
                    run.errors.append(f"{code} {method} {path}")
        connection.close()

    workers = [threading.Thread(target=worker, daemon=True) for _ in range(32)]
    for thread in workers:
        thread.start()
    began = time.perf_counter()
    count = int(rate * seconds)
    for index in range(count):
        scheduled = began + index / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        due.put((scheduled, bench_path.make(rng)))
    for _ in workers:
        due.put(None)
    for thread in workers:
        thread.join()
    run.seconds = time.perf_counter() - began
    run.requests = len(run.latencies)
    return run


def measured(load, *, pids: dict[str, list[int]], database: str, env: dict) -> Run:
    """``load()`` with the CPU of each group of ``pids`` and of PostgreSQL's backends on ``database``."""
    sampler = BackendSampler(database_url(env, database), database)
    sampler.start()
    time.sleep(0.05)
    before = {who: ticks(group) for who, group in pids.items()}
    run = load()
    after = {who: ticks(group) for who, group in pids.items()}
    run.cpu = {who: (after[who] - before[who]) / TICKS for who in pids}
    run.cpu["postgres"] = sampler.stop()
    return run


# --- the platform's data -------------------------------------------------------------------------------

def ensure_gigs(env: dict, count: int) -> None:
    """--gigs gigs in the gig database, seeded once: the marker table says how many the last seed made."""
    name = f"{PREFIX}gigs"
    with psycopg.connect(database_url(env, name), autocommit=True) as connection:
        connection.execute("CREATE TABLE IF NOT EXISTS bench_http_seed (gigs integer NOT NULL)")
        seeded = connection.execute("SELECT max(gigs) FROM bench_http_seed").fetchone()[0]
    if seeded == count:
        print(f"reusing {count} gigs in {name}", flush=True)
        return
    seed(env, name, count, random.Random(20261127))
    with psycopg.connect(database_url(env, name), autocommit=True) as connection:
        connection.execute("DELETE FROM bench_http_seed")
        connection.execute("INSERT INTO bench_http_seed VALUES (%s)", [count])


def wait_for_connections(env: dict, needed: int = 60, patience: float = 300) -> None:
    """The platform and the floor hold ~60 connections: on a server shared with test runs, wait (a
    while) for that many to be free rather than fail requests with "too many clients"."""
    deadline = time.monotonic() + patience
    while True:
        with psycopg.connect(database_url(env, "postgres"), autocommit=True) as admin:
            limit = int(admin.execute("SHOW max_connections").fetchone()[0])
            used = admin.execute("SELECT count(*) FROM pg_stat_activity").fetchone()[0]
        if limit - used >= needed or time.monotonic() > deadline:
            print(f"PostgreSQL: {used} of {limit} connections in use", flush=True)
            return
        time.sleep(5)


def migrate(env: dict) -> None:
    subprocess.run([sys.executable, str(ROOT / "manage_all.py"), "migrate"], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL)


@dataclass
class Actors:
    gateway: str
    buyer: dict = field(default_factory=dict)
    seller: dict = field(default_factory=dict)
    gig_id: str = ""

    def log_in(self, who: dict) -> str:
        response = httpx.post(f"{self.gateway}/api/auth/login",
                              json={"email": who["email"], "password": who["password"]}, timeout=30)
        response.raise_for_status()
        who["access"], who["refresh"] = response.json()["access"], response.json()["refresh"]
        return who["access"]


def _wait_for(condition, what: str, timeout: float = 60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.3)
    raise SystemExit(f"timed out waiting for {what}")


def set_up_actors(gateway: str) -> Actors:
    """A buyer, a seller with one active gig the order service knows, and a page of the buyer's orders."""
    actors = Actors(gateway)
    with httpx.Client(base_url=gateway, timeout=30) as client:
        for who in (actors.buyer, actors.seller):
            tag = uuid.uuid4().hex[:10]
            who.update(email=f"bench-{tag}@example.com", username=f"bench_{tag}", password="bench passphrase 1234")
            client.post("/api/auth/register", json={k: who[k] for k in ("email", "username", "password")}
                        ).raise_for_status()
            actors.log_in(who)
        seller = actors.seller
        client.post("/api/users/me/seller", headers={"Authorization": f"Bearer {seller['access']}"},
                    json={"headline": "Bench seller", "description": "Sells to the benchmark."}).raise_for_status()

        def seller_role():
            answer = client.post("/api/auth/refresh", json={"refresh": seller["refresh"]})
            answer.raise_for_status()
            seller["access"], seller["refresh"] = answer.json()["access"], answer.json()["refresh"]
            return "seller" in json.loads(_claims(seller["access"]))["roles"]

        _wait_for(seller_role, "the seller role")
        gig = client.post("/api/gigs/", headers={"Authorization": f"Bearer {seller['access']}"}, json={
            "title": "I will write the benchmark's copy", "category": "copywriting", "tags": ["bench"],
            "status": "active", "description": "Copy for the benchmark, written and revised until it is right.",
            "packages": [{"tier": "basic", "title": "One page", "description": "", "price": "40.00",
                          "currency": "USD", "delivery_days": 3, "revisions": 1}]})
        gig.raise_for_status()
        actors.gig_id = gig.json()["id"]
        buyer_auth = {"Authorization": f"Bearer {actors.buyer['access']}"}
        _wait_for(lambda: client.post("/api/orders/", headers=buyer_auth, json={
            "gig_id": actors.gig_id, "package": "basic"}).status_code == 201, "gig.created at the order service")
        for _ in range(24):
            client.post("/api/orders/", headers=buyer_auth, json={"gig_id": actors.gig_id, "package": "basic"}
                        ).raise_for_status()
    return actors


def _claims(token: str) -> str:
    import base64

    payload = token.split(".")[1]
    return base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)).decode()


def create_floor_outbox(env: dict) -> None:
    with psycopg.connect(database_url(env, f"{PREFIX}orders"), autocommit=True) as connection:
        connection.execute("CREATE TABLE IF NOT EXISTS bench_floor_outbox (id uuid PRIMARY KEY, type varchar(60) "
                           "NOT NULL, payload jsonb NOT NULL, created_at timestamptz NOT NULL)")


@contextlib.contextmanager
def running_floor(env: dict):
    floor_env = {**env, "PYTHONPATH": str(FLOOR_DIR),
                 "FLOOR_GIGS_DATABASE": database_url(env, f"{PREFIX}gigs").replace("postgresql:", "postgres:"),
                 "FLOOR_AUTH_DATABASE": database_url(env, f"{PREFIX}auth").replace("postgresql:", "postgres:"),
                 "FLOOR_ORDERS_DATABASE": database_url(env, f"{PREFIX}orders").replace("postgresql:", "postgres:"),
                 "FLOOR_JWKS_URL": f"http://127.0.0.1:{PORT_BASE + SLOTS['auth']}/api/auth/.well-known/jwks.json"}
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    command = [gunicorn, "floor.wsgi", "--bind", f"127.0.0.1:{FLOOR_PORT}",
               "--workers", env.get("MARKETPLACE_WEB_CONCURRENCY", "2"), "--worker-class", "gthread",
               "--threads", env.get("MARKETPLACE_WEB_THREADS", "4"), "--keep-alive", "75", "--log-level", "warning"]
    is_up = lambda: httpx.get(f"http://127.0.0.1:{FLOOR_PORT}/api/gigs/?page_size=1", timeout=5  # noqa: E731
                              ).status_code == 200
    with running_processes({"floor": (command, FLOOR_DIR)}, env=floor_env, log_dir=Path(env["MARKETPLACE_VAR_DIR"]),
                           is_up=is_up, what="the floor", timeout=60):
        yield


# --- the paths -----------------------------------------------------------------------------------------

def bench_paths(actors: Actors, gig_ids: list[str], categories: list[str]) -> list[Path_]:
    def search(rng):
        return "GET", "/api/gigs/?" + urlencode(search_params(rng, categories)), None

    def browse(rng):
        return "GET", "/api/gigs/?" + urlencode(browse_params(rng, categories)), None

    def detail(rng):
        return "GET", f"/api/gigs/{rng.choice(gig_ids)}/", None

    def place(rng):
        return "POST", "/api/orders/", {"gig_id": actors.gig_id, "package": "basic", "requirements": "Bench copy."}

    return [
        Path_("GET /api/gigs/?q=…&max_price=…&ordering=relevance", "gigs", False, search, pg_target_ms=8.0),
        Path_("GET /api/gigs/?category=…&ordering=price", "gigs", False, browse, pg_target_ms=4.0),
        Path_("GET /api/gigs/<id>/", "gigs", False, detail),
        Path_("GET /api/auth/me (gateway)", "auth", True, lambda rng: ("GET", "/api/auth/me", None), token="buyer"),
        Path_("GET /api/orders/?role=buyer (gateway)", "orders", True,
              lambda rng: ("GET", "/api/orders/?role=buyer", None), token="buyer"),
        Path_("POST /api/orders/", "orders", False, place, token="buyer"),
    ]


@dataclass
class Result:
    path: Path_
    floor: Run
    service: Run
    paced: Run
    single: Run
    rate: float
    floor_paced: Run
    floor_single: Run

    def ratio(self) -> float:
        return self.service.ms_per_request("service") / self.floor.ms_per_request("floor")

    def edge_ratio(self) -> float | None:
        if not self.path.through_gateway:
            return None
        return self.service.ms_per_request("edge") / self.floor.ms_per_request("floor")

    def p(self, fraction: float) -> float:
        return percentile(self.paced.latencies, fraction)

    @staticmethod
    def tail(paced: Run, single: Run) -> float:
        """Paced p99 as a multiple of the one-client p50: the figure the target bounds."""
        return percentile(paced.latencies, 0.99) / percentile(single.latencies, 0.5)

    def checks(self) -> dict[str, bool]:
        checks = {"cpu ≤ 1.5× floor": self.ratio() <= 1.5,
                  "paced p99 ≤ 5× single p50": self.tail(self.paced, self.single) <= 5,
                  "no errors": not (self.floor.errors or self.service.errors or self.paced.errors
                                    or self.single.errors)}
        if self.path.through_gateway:
            checks["edge ≤ 0.3× floor"] = self.edge_ratio() <= 0.3
        if self.path.pg_target_ms is not None:
            checks[f"PostgreSQL ≤ {self.path.pg_target_ms:g} ms"] = \
                self.service.ms_per_request("postgres") <= self.path.pg_target_ms
        return checks


def measure(bench_path: Path_, actors: Actors, env: dict, *, rounds: int, seconds: float, warmup: float,
            paced_seconds: float, single_seconds: float, index: int) -> Result:
    database = f"{PREFIX}{bench_path.service}"
    service_port = GATEWAY_PORT if bench_path.through_gateway else PORT_BASE + SLOTS[bench_path.service]
    service_pids = {"service": gunicorn_pids(PORT_BASE + SLOTS[bench_path.service])}
    if bench_path.through_gateway:
        service_pids["edge"] = gunicorn_pids(PORT_BASE) + nginx_pids(Path(env["MARKETPLACE_VAR_DIR"]))
    floor_pids = {"floor": gunicorn_pids(FLOOR_PORT)}
    empty = [who for who, pids in {**service_pids, **floor_pids}.items() if not pids]
    if empty:
        raise SystemExit(f"no processes found for {', '.join(empty)}: the CPU figures would be wrong")
    token = actors.log_in(actors.buyer) if bench_path.token else ""  # fresh: a full run outlasts one token
    floor_run, service_run = Run(), Run()
    closed_loop(FLOOR_PORT, bench_path, token, clients=CLIENTS, seconds=warmup, seed_=900 + index)
    closed_loop(service_port, bench_path, token, clients=CLIENTS, seconds=warmup, seed_=900 + index)
    for round_ in range(rounds):
        seed_ = 100 * index + round_  # floor and service get the same requests
        floor_run.add(measured(lambda: closed_loop(FLOOR_PORT, bench_path, token, clients=CLIENTS, seconds=seconds,
                                                   seed_=seed_), pids=floor_pids, database=database, env=env))
        service_run.add(measured(lambda: closed_loop(service_port, bench_path, token, clients=CLIENTS,
                                                     seconds=seconds, seed_=seed_),
                                 pids=service_pids, database=database, env=env))
    rate = service_run.rps / 2
    paced_run = paced(service_port, bench_path, token, rate=rate, seconds=paced_seconds, seed_=500 + index)
    single_run = closed_loop(service_port, bench_path, token, clients=1, seconds=single_seconds, seed_=700 + index)
    # The floor's own tail, at half of its own saturation: what the machine does to the plainest code.
    floor_paced = paced(FLOOR_PORT, bench_path, token, rate=floor_run.rps / 2, seconds=paced_seconds,
                        seed_=500 + index)
    floor_single = closed_loop(FLOOR_PORT, bench_path, token, clients=1, seconds=single_seconds, seed_=700 + index)
    return Result(bench_path, floor_run, service_run, paced_run, single_run, rate, floor_paced, floor_single)


# --- profiles ------------------------------------------------------------------------------------------

def profile(port: int, bench_path: Path_, token: str, pids: list[int], *, seconds: float, out_dir: Path,
            index: int) -> str:
    """py-spy on each of the service's workers while 8 clients load it: where their CPU goes (threads
    on a CPU only; a thread waiting for PostgreSQL, Redis, a pipe or the GIL is not sampled). The
    frames that hold the most samples, inclusive and on their own, as a short text (the raw stacks
    are kept in ``out_dir``)."""
    py_spy = str(Path(sys.executable).parent / "py-spy")
    workers = [pid for pid in pids if _parent(pid) in pids] or pids
    out_dir.mkdir(parents=True, exist_ok=True)
    outputs = [out_dir / f"path{index}-{pid}.txt" for pid in workers]
    recorders = [subprocess.Popen([py_spy, "record", "--pid", str(pid), "--duration", str(int(seconds)),
                                   "--rate", "200", "--format", "raw", "--nonblocking", "--output", str(output)],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                 for pid, output in zip(workers, outputs)]
    time.sleep(1)
    closed_loop(port, bench_path, token, clients=CLIENTS, seconds=seconds - 1, seed_=800 + index)
    for recorder in recorders:
        recorder.wait(timeout=60)
    inclusive: dict[str, int] = {}
    own: dict[str, int] = {}
    total = 0
    for output in outputs:
        if not output.exists():
            continue
        for line in output.read_text().splitlines():
            stack, _, count = line.rpartition(" ")
            frames = [_frame(frame) for frame in stack.split(";")[1:]]
            if not frames or "handle_request" not in stack:
                continue  # gunicorn's idle threads: not a request's cost
            samples = int(count)
            total += samples
            for frame in set(frames):
                inclusive[frame] = inclusive.get(frame, 0) + samples
            own[frames[-1]] = own.get(frames[-1], 0) + samples
    if not total:
        return f"{bench_path.name}: no samples"
    lines = [f"{bench_path.name}: {total} samples of requests being served",
             "  inclusive:"]
    lines += [f"    {100 * n / total:5.1f}%  {frame}" for frame, n in
              sorted(inclusive.items(), key=lambda item: -item[1]) if n / total >= 0.03][:40]
    lines.append("  own:")
    lines += [f"    {100 * n / total:5.1f}%  {frame}" for frame, n in sorted(own.items(), key=lambda item: -item[1])[:15]]
    return "\n".join(lines)


def _frame(frame: str) -> str:
    """``function (path:line)`` as ``package/module.py:function``."""
    name, _, where = frame.partition(" (")
    path = where.rsplit(":", 1)[0]
    for marker in ("site-packages/", "/projects/", "/libs/", "/lib/python3.11/"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    return f"{path}:{name}"


# --- report --------------------------------------------------------------------------------------------

def table(results: list[Result]) -> str:
    lines = ["| path | req/s floor · service | CPU ms/req floor · service (ratio) | PostgreSQL ms/req floor · service "
             "| nginx + edge ms/req (÷ floor) | paced at | p50 · p95 · p99 ms paced | p50 ms one client "
             "| paced p99 ÷ one-client p50, floor · service | within target |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        f, s = r.floor, r.service
        edge = (f"{s.ms_per_request('edge'):.1f} ({r.edge_ratio():.2f})" if r.path.through_gateway else "–")
        failed = [name for name, ok in r.checks().items() if not ok]
        lines.append(
            f"| {r.path.name} | {f.rps:.0f} · {s.rps:.0f} | {f.ms_per_request('floor'):.1f} · "
            f"{s.ms_per_request('service'):.1f} ({r.ratio():.2f}) | {f.ms_per_request('postgres'):.1f} · "
            f"{s.ms_per_request('postgres'):.1f} | {edge} | {r.rate:.0f}/s | {r.p(0.5):.1f} · {r.p(0.95):.1f} · "
            f"{r.p(0.99):.1f} | {percentile(r.single.latencies, 0.5):.1f} | "
            f"{Result.tail(r.floor_paced, r.floor_single):.1f} · {Result.tail(r.paced, r.single):.1f} | "
            f"{'yes' if not failed else 'no: ' + ', '.join(failed)} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="manage_all.py bench http", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="short rounds, one pair per path (under 3 minutes)")
    parser.add_argument("--gigs", type=int, default=100_000, help="gigs in the gig database (seeded once)")
    parser.add_argument("--only", action="append", metavar="WORD",
                        help="only the paths whose name holds WORD (repeatable)")
    parser.add_argument("--rounds", type=int, help="floor/service pairs per path (default 3; 1 with --quick)")
    parser.add_argument("--seconds", type=float, help="seconds per measured round (default 8; 4 with --quick)")
    parser.add_argument("--profile", action="store_true",
                        help="then py-spy each path's service under load (CPU); stacks in var/bench-http/profiles")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stops the platform on the way out
    quick = args.quick
    rounds = args.rounds or (1 if quick else 3)
    seconds = args.seconds or (4.0 if quick else 8.0)
    timing = dict(rounds=rounds, seconds=seconds, warmup=1.0 if quick else 3.0,
                  paced_seconds=5.0 if quick else 15.0, single_seconds=3.0 if quick else 8.0)

    with open(LOCK, "w") as lock:
        print(f"waiting for {LOCK} (one benchmark at a time)", flush=True)
        fcntl.flock(lock, fcntl.LOCK_EX)
        started = time.monotonic()
        env = bench_environment(
            MARKETPLACE_GATEWAY_PORT=str(GATEWAY_PORT), MARKETPLACE_PORT_BASE=str(PORT_BASE),
            MARKETPLACE_DATABASE_PREFIX=PREFIX, MARKETPLACE_VAR_DIR=str(ROOT / "var" / "bench-http"),
            MARKETPLACE_PUBLIC_URL=f"http://127.0.0.1:{GATEWAY_PORT}", PYTHONUNBUFFERED="1",
            # The bench's accounts order without following an emailed link.
            MARKETPLACE_REQUIRE_VERIFIED_EMAIL="false")
        env["MARKETPLACE_REDIS_URL"] = env["MARKETPLACE_REDIS_URL"].rsplit("/", 1)[0] + "/13"
        fresh_vhost(VHOST)
        env["MARKETPLACE_BROKER_URL"] = with_vhost(env["MARKETPLACE_BROKER_URL"], VHOST)
        try:
            wait_for_connections(env)
            migrate(env)
            ensure_gigs(env, args.gigs)
            create_floor_outbox(env)
            with psycopg.connect(database_url(env, f"{PREFIX}gigs")) as connection:
                categories = [row[0] for row in connection.execute("SELECT slug FROM catalog_category ORDER BY id")]
                gig_ids = [str(row[0]) for row in connection.execute(
                    "SELECT id FROM catalog_gig WHERE status = 'active' AND deleted_at IS NULL "
                    "ORDER BY md5(id::text) LIMIT 2000")]
            with running_platform(env, "--no-migrate") as gateway, running_floor(env):
                print(f"platform and floor up after {time.monotonic() - started:.0f} s", flush=True)
                actors = set_up_actors(gateway)
                results = []
                paths = [p for p in bench_paths(actors, gig_ids, categories)
                         if not args.only or any(word in p.name for word in args.only)]
                for index, bench_path in enumerate(paths):
                    result = measure(bench_path, actors, env, index=index, **timing)
                    results.append(result)
                    print(table([result]).splitlines()[-1], flush=True)
                if args.profile:
                    for index, bench_path in enumerate(paths):
                        port = GATEWAY_PORT if bench_path.through_gateway else PORT_BASE + SLOTS[bench_path.service]
                        token = actors.log_in(actors.buyer) if bench_path.token else ""
                        print(profile(port, bench_path, token, gunicorn_pids(PORT_BASE + SLOTS[bench_path.service]),
                                      seconds=12, out_dir=Path(env["MARKETPLACE_VAR_DIR"]) / "profiles",
                                      index=index), flush=True)
        finally:
            drop_vhost(VHOST)
    elapsed = time.monotonic() - started
    print(f"\n{args.gigs} gigs, {CLIENTS} clients, {rounds} × {seconds:g} s per side and path, "
          f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}, {elapsed:.0f} s in all\n")
    print(table(results))
    within = sum(1 for r in results if all(r.checks().values()))
    for r in results:
        runs = {"floor": r.floor, "service": r.service, "service paced": r.paced, "service alone": r.single,
                "floor paced": r.floor_paced, "floor alone": r.floor_single}
        for side, run in runs.items():
            if run.errors:
                print(f"{r.path.name}: {len(run.errors)} failed requests to the {side}, e.g. {run.errors[:3]}")
    print(f"{within} of {len(results)} paths within target")
    return 0 if within == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())
