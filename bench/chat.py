#!/usr/bin/env python3
"""The chat service under load: many open sockets through the gateway, messages sent over them.

    .venv/bin/python bench/chat.py [--sockets 1000] [--conversations 500] [--rate 200] [--seconds 20]
                                   [--ramp-seconds 10] [--ramp 50,100,...] [--no-ramp]
                                   [--clients 1] [--layer core|pubsub] [--no-compression]

Creates its own database (``bench_chat_marketplace_chat``, migrated), flushes Redis db 7 (the
channel layer, presence and the send counters), and gives 2 x --conversations users a conversation
each (user 2i with user 2i+1), created through ``messaging.services`` as the REST view would. Then
runs ONE chat process as ``manage_all.py up`` does (uvicorn, one worker, channels-redis) with
``bench/chat_service/chat_bench_settings.py`` (``config.settings`` plus trust in this run's throwaway
signing key; the per-user send limit lifted with MARKETPLACE_CHAT_SEND_LIMIT), behind nginx rendered
from gateway/nginx/nginx.conf.template (devtools/nginx.render) on ports of its own.

The load generator (asyncio + websockets, --clients processes, each owning whole conversations)
opens --sockets sockets through the gateway at ``/ws/chat/?token=`` (the users' sockets dealt round
robin, so more sockets than users are second tabs), then sends ``message.send`` frames at --rate
per second for --seconds, each from a random participant of a random conversation with a unique
``client_id``. Measured, with one clock per load-generator process:

* delivery latency: send -> ``message.new`` received by the other participant's socket(s); p50/p99;
* echo latency: send -> ``message.new`` back on the sender's own socket(s);
* lost / duplicated: every client_id must arrive exactly once at every socket of both participants,
  and nowhere else; the database must hold exactly one message (and one ``message.sent`` outbox
  event) per client_id;
* CPU per message of the chat process, nginx, PostgreSQL (the bench database's backends), Redis
  and the load generator, and how busy the machine was.

Then the ramp (unless --no-ramp): --ramp-seconds at each --ramp rate in turn until p99 exceeds
100 ms, anything is lost, or the deliveries lag (the last one arrives more than a second after the
last send); the highest rate that passed is what one process sustains. After each phase the bench
waits for the service's backlog to clear (no delivery for 3 s) before the next. --layer core runs
the same service on channels_redis's core layer instead (bench settings only), for comparison.
Targets (issue 8): at --rate, p50 <= 20 ms, p99 <= 100 ms, nothing lost or duplicated. Exit status
0 when met.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import json
import multiprocessing
import os
import random
import resource
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import psycopg

from _cpu import TICKS, BackendSampler, group_ticks, machine_busy_ticks, process_ticks, processes_named
from _platform import ROOT, bench_environment, database_url, percentile, recreate_database, running_processes

CHAT_DIR = ROOT / "projects" / "chat"
SETTINGS_DIR = Path(__file__).resolve().parent / "chat_service"
DATABASE_PREFIX = "bench_chat_marketplace_"
DATABASE = f"{DATABASE_PREFIX}chat"
REDIS_DB = 7
TARGET_P50_MS, TARGET_P99_MS = 20.0, 100.0
MAX_DRAIN_S = 1.0  # the ramp's "lagging": the last delivery later than this after the last send


# --- environment, database, processes --------------------------------------------------------------

def port_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def choose_ports() -> tuple[int, int]:
    """A port base whose chat slot (base + 6) is free, and a free gateway port (base + 99)."""
    for base in range(28400, 29900, 100):
        if port_free(base + 6) and port_free(base + 99):
            return base + 99, base
    raise SystemExit("no free ports between 28400 and 29999")


def chat_environment(jwks: str, layer: str) -> dict:
    gateway_port, port_base = choose_ports()
    env = bench_environment(
        MARKETPLACE_GATEWAY_PORT=str(gateway_port),
        MARKETPLACE_PORT_BASE=str(port_base),
        MARKETPLACE_DATABASE_PREFIX=DATABASE_PREFIX,
        MARKETPLACE_VAR_DIR=str(ROOT / "var" / "bench-chat"),
        MARKETPLACE_PUBLIC_URL=f"http://127.0.0.1:{gateway_port}",
        MARKETPLACE_SOCKET_PROCESSES="1",
        MARKETPLACE_CHAT_SEND_LIMIT="1000000000",
        MARKETPLACE_LOG_LEVEL="WARNING",
        MARKETPLACE_BENCH_JWKS=jwks,
        MARKETPLACE_BENCH_CHANNEL_LAYER=layer,
        DJANGO_SETTINGS_MODULE="chat_bench_settings",
        PYTHONUNBUFFERED="1",
    )
    redis = urlsplit(env["MARKETPLACE_REDIS_URL"])
    env["MARKETPLACE_REDIS_URL"] = f"{redis.scheme}://{redis.netloc}/{REDIS_DB}"
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SETTINGS_DIR), env.get("PYTHONPATH")]))
    return env






def flush_redis(env: dict) -> None:
    import redis

    redis.Redis.from_url(env["MARKETPLACE_REDIS_URL"]).flushdb()


def manage(env: dict, *arguments: str) -> str:
    done = subprocess.run([sys.executable, "manage.py", *arguments], cwd=CHAT_DIR, env=env, text=True,
                          capture_output=True)
    if done.returncode:
        raise SystemExit(f"manage.py {' '.join(arguments)} failed:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}")
    return done.stdout


SEED_SCRIPT = """
import json, os
from messaging import services
pairs = json.load(open(os.environ["BENCH_PAIRS"]))
conversations = []
for (a, a_name), (b, b_name) in pairs:
    services.record_person(user_id=a, username=a_name)
    services.record_person(user_id=b, username=b_name)
    conversation, _ = services.start_conversation(user_id=a, username=a_name, participant_id=b)
    conversations.append(str(conversation.pk))
print("BENCH_CONVERSATIONS " + json.dumps(conversations))
"""


def seed(env: dict, pairs: list) -> list[str]:
    path = Path(env["MARKETPLACE_VAR_DIR"]) / "pairs.json"
    path.write_text(json.dumps(pairs))
    output = manage({**env, "BENCH_PAIRS": str(path)}, "shell", "-c", SEED_SCRIPT)
    line = next(line for line in output.splitlines() if line.startswith("BENCH_CONVERSATIONS "))
    return json.loads(line.split(" ", 1)[1])


@contextlib.contextmanager
def running_chat_and_gateway(env: dict):
    """One chat process (uvicorn, as devtools/processes.py starts it) and nginx in front of it."""
    from devtools import nginx
    from devtools.processes import web_command

    os.environ.update(env)  # topology (ports, services, socket processes) reads the environment
    var_dir = Path(env["MARKETPLACE_VAR_DIR"])
    chat_port = int(env["MARKETPLACE_PORT_BASE"]) + 6
    binary = nginx.ensure_installed()
    conf = nginx.render(var_dir / "nginx", env=env)
    nginx.test_config(binary, conf)
    commands = {
        "chat": (web_command(CHAT_DIR, chat_port, asgi=True, env=env).split(), CHAT_DIR),
        "nginx": ([binary, "-e", "stderr", "-p", str(conf.parent), "-c", str(conf), "-g", "daemon off;"], ROOT),
    }
    is_up = lambda: httpx.get(f"http://127.0.0.1:{chat_port}/healthz", timeout=2).status_code == 200  # noqa: E731
    with running_processes(commands, env=env, log_dir=var_dir, is_up=is_up, what="chat") as pids:
        yield pids


# --- where the CPU goes -----------------------------------------------------------------------------

class CpuMeter:
    """CPU seconds between start() and stop() of: the chat process, nginx, the bench database's
    PostgreSQL backends (sampled every 0.5 s: CONN_MAX_AGE recycles them), redis-server (shared with
    whatever else uses it), the load generator, and the whole machine."""

    def __init__(self, env: dict, groups: dict[str, int], client_pids: list[int]):
        self.url = database_url(env, DATABASE)
        self.groups, self.client_pids = groups, client_pids
        self.redis_pids = processes_named("redis-server")

    def _snapshot(self) -> dict:
        return {**{name: group_ticks(pgid) for name, pgid in self.groups.items()},
                "redis": sum(process_ticks(pid) for pid in self.redis_pids),
                "load generator": sum(process_ticks(pid) for pid in self.client_pids),
                "machine": machine_busy_ticks(), "wall": time.perf_counter()}

    def start(self) -> None:
        self.sampler = BackendSampler(self.url, DATABASE)
        self.sampler.start()
        time.sleep(0.1)
        self.before = self._snapshot()

    def stop(self, messages: int) -> dict:
        after = self._snapshot()
        postgres = self.sampler.stop()
        before = self.before
        spent = {name: (after[name] - before[name]) / TICKS
                 for name in (*self.groups, "redis", "load generator")}
        spent["postgres"] = postgres
        wall = after["wall"] - before["wall"]
        machine = (after["machine"] - before["machine"]) / TICKS
        spent["other processes"] = max(0.0, machine - sum(spent.values()))
        return {"ms_per_message": {name: round(1000 * seconds / max(1, messages), 2) for name, seconds in spent.items()},
                "chat_core_share": round(spent["chat"] / wall, 2),
                "machine_busy": round(machine / wall / (os.cpu_count() or 1), 2)}


# --- the load generator (one or more processes, each owning whole conversations) ---------------------

BODY = "Hi! About the logo draft: could you make the blue a little darker and the font bolder? #{}"


class LoadClient:
    def __init__(self, url: str, conversations: list[tuple[str, str, str]], tokens: dict[str, str],
                 sockets_per_user: dict[str, int], seed: int, compression: bool):
        self.url, self.conversations, self.tokens = url, conversations, tokens
        self.sockets_per_user, self.compression = sockets_per_user, compression
        self.rng = random.Random(seed)
        self.sockets: list = []
        self.owner: list[str] = []  # socket index -> user id
        self.by_user: dict[str, list[int]] = collections.defaultdict(list)
        self.sent: dict[str, tuple[float, str, str]] = {}  # client_id -> (sent at, sender, recipient)
        self.arrivals: dict[str, list[tuple[int, float]]] = collections.defaultdict(list)
        self.errors: collections.Counter = collections.Counter()
        self.closed: list[tuple[int, int | None]] = []
        self.expected = self.arrived = 0
        self.last_arrival = 0.0

    async def connect(self, concurrency: int = 50) -> None:
        from websockets.asyncio.client import connect

        users = [user for _, low, high in self.conversations for user in (low, high)]
        plan = [user for user in users for _ in range(self.sockets_per_user[user])]
        self.sockets = [None] * len(plan)
        gate = asyncio.Semaphore(concurrency)

        async def open_one(index: int, user: str) -> None:
            async with gate:
                self.sockets[index] = await connect(
                    f"{self.url}?token={self.tokens[user]}", open_timeout=60, ping_interval=None,
                    max_queue=None, compression="deflate" if self.compression else None)
            self.readers.append(asyncio.ensure_future(self.read(index, self.sockets[index])))

        self.readers: list[asyncio.Future] = []
        self.owner = plan
        for index, user in enumerate(plan):
            self.by_user[user].append(index)
        await asyncio.gather(*(open_one(index, user) for index, user in enumerate(plan)))
        await asyncio.sleep(1.0)  # every socket has joined its group before the first send
        if self.closed:
            raise RuntimeError(f"{len(self.closed)} sockets closed right after opening: {self.closed[:5]}")

    async def read(self, index: int, ws) -> None:
        from websockets.exceptions import ConnectionClosed

        try:
            async for raw in ws:
                now = time.perf_counter()
                frame = json.loads(raw)
                kind = frame.get("type")
                if kind == "message.new":
                    self.arrivals[frame["message"]["client_id"]].append((index, now))
                    self.arrived += 1
                    self.last_arrival = now
                elif kind == "error":
                    self.errors[frame.get("code")] += 1
        except ConnectionClosed:
            pass
        self.closed.append((index, ws.close_code))

    async def run(self, tag: str, rate: float, seconds: float) -> dict:
        """Send at ``rate`` for ``seconds``, wait for the deliveries, and say what happened."""
        total = int(rate * seconds)
        client_ids = []
        lag = 0.0
        started = time.perf_counter()
        index = 0
        while index < total:
            now = time.perf_counter()
            due = min(total, int((now - started) * rate) + 1)
            while index < due:
                lag = max(lag, now - (started + index / rate))
                _, low, high = conversation = self.rng.choice(self.conversations)
                sender, recipient = (low, high) if self.rng.random() < 0.5 else (high, low)
                ws = self.sockets[self.rng.choice(self.by_user[sender])]
                client_id = f"{tag}-{index}"
                frame = json.dumps({"type": "message.send", "conversation_id": conversation[0],
                                    "body": BODY.format(index), "client_id": client_id})
                self.sent[client_id] = (time.perf_counter(), sender, recipient)
                self.expected += len(self.by_user[sender]) + len(self.by_user[recipient])
                client_ids.append(client_id)
                await ws.send(frame)
                index += 1
            next_due = started + index / rate
            await asyncio.sleep(max(0.0, next_due - time.perf_counter()))
        last_send = time.perf_counter()
        sending = last_send - started
        deadline = last_send + 30
        while self.arrived < self.expected and time.perf_counter() < deadline:
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.3)  # anything doubled arrives too
        return self.outcome(client_ids, last_send, lag, sending)

    async def settle(self) -> None:
        """An overloaded phase leaves a backlog in the service: wait until deliveries stop arriving."""
        deadline = time.perf_counter() + 180
        while time.perf_counter() - self.last_arrival < 3 and time.perf_counter() < deadline:
            await asyncio.sleep(0.5)

    def outcome(self, client_ids: list[str], last_send: float, lag: float, sending: float) -> dict:
        delivery, echo = [], []
        lost = doubled = misrouted = 0
        for client_id in client_ids:
            sent_at, sender, recipient = self.sent[client_id]
            seen = collections.defaultdict(list)
            for index, at in self.arrivals.get(client_id, ()):
                seen[index].append(at)
            for user, latencies in ((recipient, delivery), (sender, echo)):
                for index in self.by_user[user]:
                    times = seen.pop(index, [])
                    if not times:
                        lost += 1
                    else:
                        doubled += len(times) - 1
                        latencies.append((min(times) - sent_at) * 1000)
            misrouted += sum(len(times) for times in seen.values())
        last = max((at for client_id in client_ids for _, at in self.arrivals.get(client_id, ())), default=last_send)
        errors = dict(self.errors)
        self.errors.clear()
        return {"sent": len(client_ids), "client_ids": client_ids, "delivery": delivery, "echo": echo,
                "lost": lost, "doubled": doubled, "misrouted": misrouted, "errors": errors,
                "closed": len(self.closed), "send_lag_ms": lag * 1000, "drain_s": max(0.0, last - last_send),
                "sending": sending}

    async def close(self) -> None:
        await asyncio.gather(*(ws.close() for ws in self.sockets if ws is not None), return_exceptions=True)


def client_process(pipe, url, conversations, tokens, sockets_per_user, seed, compression) -> None:
    """A load-generator process: connect, then run the phases the parent asks for."""
    with contextlib.suppress(ImportError):
        import uvloop

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())

    async def main() -> None:
        loop = asyncio.get_running_loop()
        client = LoadClient(url, conversations, tokens, sockets_per_user, seed, compression)
        try:
            await client.connect()
            pipe.send(("connected", len(client.sockets)))
        except Exception as error:  # noqa: BLE001 - reported by the parent
            pipe.send(("failed", repr(error)))
            return
        while True:
            command = await loop.run_in_executor(None, pipe.recv)
            if command[0] == "settle":
                await client.settle()
                pipe.send(("settled",))
                continue
            if command[0] == "stop":
                await client.close()
                pipe.send(("stopped",))
                return
            _, tag, rate, seconds = command
            pipe.send(("result", await client.run(tag, rate, seconds)))

    asyncio.run(main())


class Clients:
    def __init__(self, count: int, url: str, conversations, tokens, sockets_per_user, compression: bool):
        context = multiprocessing.get_context("fork")
        self.pipes, self.processes = [], []
        for number in range(count):
            mine = conversations[number::count]
            parent, child = context.Pipe()
            process = context.Process(target=client_process, daemon=True, args=(
                child, url, mine, {u: tokens[u] for _, a, b in mine for u in (a, b)}, sockets_per_user,
                1000 + number, compression))
            process.start()
            self.pipes.append(parent)
            self.processes.append(process)
        self.share = [len(conversations[number::count]) / len(conversations) for number in range(count)]
        replies = [pipe.recv() for pipe in self.pipes]
        failed = [reply[1] for reply in replies if reply[0] != "connected"]
        if failed:
            raise SystemExit(f"load generator could not connect: {failed[0]}")
        self.sockets = sum(reply[1] for reply in replies)

    @property
    def pids(self) -> list[int]:
        return [process.pid for process in self.processes]

    def run(self, tag: str, rate: float, seconds: float) -> dict:
        for number, pipe in enumerate(self.pipes):
            pipe.send(("run", f"{tag}c{number}", rate * self.share[number], seconds))
        results = [pipe.recv()[1] for pipe in self.pipes]
        merged = {key: sum(r[key] for r in results) for key in ("sent", "lost", "doubled", "misrouted")}
        merged["closed"] = max(r["closed"] for r in results)
        merged["client_ids"] = [cid for r in results for cid in r["client_ids"]]
        merged["delivery"] = sorted(v for r in results for v in r["delivery"])
        merged["echo"] = sorted(v for r in results for v in r["echo"])
        merged["errors"] = dict(sum((collections.Counter(r["errors"]) for r in results), collections.Counter()))
        for key in ("send_lag_ms", "drain_s", "sending"):
            merged[key] = max(r[key] for r in results)
        return merged

    def settle(self) -> None:
        for pipe in self.pipes:
            pipe.send(("settle",))
        for pipe in self.pipes:
            pipe.recv()

    def stop(self) -> None:
        for pipe in self.pipes:
            with contextlib.suppress(OSError, EOFError):
                pipe.send(("stop",))
                pipe.recv()
        for process in self.processes:
            process.join(timeout=10)
            if process.is_alive():
                process.kill()


# --- one phase -------------------------------------------------------------------------------------
def database_check(env: dict, client_ids: list[str]) -> dict:
    with psycopg.connect(database_url(env, DATABASE)) as connection:
        rows = dict(connection.execute(
            "SELECT client_id, count(*) FROM messaging_message WHERE client_id = ANY(%s) GROUP BY client_id",
            [client_ids]).fetchall())
        (outbox,), = connection.execute(
            "SELECT count(*) FROM events_outboxevent WHERE event_type = 'message.sent' AND data->>'message_id' IN "
            "(SELECT id::text FROM messaging_message WHERE client_id = ANY(%s))", [client_ids]).fetchall()
    return {"db_missing": sum(1 for cid in client_ids if cid not in rows),
            "db_doubled": sum(count - 1 for count in rows.values()), "outbox_events": outbox}


def phase(env: dict, clients: Clients, meter: CpuMeter, tag: str, rate: float, seconds: float) -> dict:
    meter.start()
    result = clients.run(tag, rate, seconds)
    cpu = meter.stop(result["sent"])  # over the sending and the deliveries, not the settling
    clients.settle()
    checked = database_check(env, result["client_ids"])
    delivery, echo = result["delivery"], result["echo"]
    figures = {
        "rate": rate, "sent": result["sent"], "achieved_per_s": round(result["sent"] / max(result["sending"], 1e-9)),
        "p50_ms": round(percentile(delivery, 0.5), 1), "p99_ms": round(percentile(delivery, 0.99), 1),
        "max_ms": round(delivery[-1], 1) if delivery else float("nan"),
        "echo_p50_ms": round(percentile(echo, 0.5), 1), "echo_p99_ms": round(percentile(echo, 0.99), 1),
        "lost": result["lost"], "doubled": result["doubled"], "misrouted": result["misrouted"],
        "errors": result["errors"], "closed_sockets": result["closed"],
        "send_lag_ms": round(result["send_lag_ms"], 1), "drain_s": round(result["drain_s"], 2),
        **checked, "cpu": cpu,
    }
    figures["clean"] = (figures["lost"] == 0 and figures["doubled"] == 0 and figures["misrouted"] == 0
                        and not figures["errors"] and figures["closed_sockets"] == 0
                        and checked["db_missing"] == 0 and checked["db_doubled"] == 0
                        and checked["outbox_events"] == result["sent"])
    return figures


def describe(name: str, f: dict) -> str:
    cpu = f["cpu"]
    per_message = ", ".join(f"{k} {v}" for k, v in cpu["ms_per_message"].items())
    return (f"{name}: rate {f['rate']}/s (achieved {f['achieved_per_s']}/s, {f['sent']} messages): delivery p50 "
            f"{f['p50_ms']} ms, p99 {f['p99_ms']} ms, max {f['max_ms']} ms; echo p50 {f['echo_p50_ms']} ms, p99 "
            f"{f['echo_p99_ms']} ms; lost {f['lost']}, doubled {f['doubled']}, misrouted {f['misrouted']}, "
            f"errors {f['errors'] or 0}, closed sockets {f['closed_sockets']}; DB missing {f['db_missing']}, "
            f"doubled {f['db_doubled']}, outbox events {f['outbox_events']}; send lag {f['send_lag_ms']} ms, "
            f"drain {f['drain_s']} s; chat process {cpu['chat_core_share']} of a core, machine busy "
            f"{cpu['machine_busy']}; CPU ms/message: {per_message}")


# --- main ----------------------------------------------------------------------------------------

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sockets", type=int, default=1000)
    parser.add_argument("--conversations", type=int, default=500)
    parser.add_argument("--rate", type=float, default=200, help="messages per second of the steady phase")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--warmup-seconds", type=float, default=5)
    parser.add_argument("--ramp-seconds", type=float, default=10)
    parser.add_argument("--ramp", default="50,75,100,125,150,175,200,250,300,400,500",
                        help="comma-separated rates of the ramp, tried in order until one fails")
    parser.add_argument("--no-ramp", action="store_true")
    parser.add_argument("--clients", type=int, default=1, help="load-generator processes")
    parser.add_argument("--layer", choices=["core", "pubsub"], default="pubsub",
                        help="channel layer: pubsub = config.settings (RedisPubSubChannelLayer), core = RedisChannelLayer")
    parser.add_argument("--no-compression", action="store_true",
                        help="do not offer permessage-deflate (browsers do)")
    args = parser.parse_args()
    users_count = 2 * args.conversations
    if args.sockets < users_count:
        raise SystemExit("--sockets must be at least 2 x --conversations (every participant online)")

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, 4 * args.sockets + 1024)), hard))

    from cryptography.hazmat.primitives.asymmetric import rsa

    from marketplace_libs.testing import mint_token, test_jwks

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    env = chat_environment(json.dumps(test_jwks(key)), args.layer)
    Path(env["MARKETPLACE_VAR_DIR"]).mkdir(parents=True, exist_ok=True)
    users = [(str(uuid.uuid4()), f"bench{index}") for index in range(users_count)]
    # email_verified: sending messages needs a verified address.
    tokens = {user: mint_token(user_id=user, username=name, key=key, lifetime=6 * 3600, email_verified=True)
              for user, name in users}
    sockets_per_user = {user: args.sockets // users_count + (index < args.sockets % users_count)
                        for index, (user, _) in enumerate(users)}

    print(f"database {DATABASE}, Redis db {REDIS_DB}, gateway port {env['MARKETPLACE_GATEWAY_PORT']}, "
          f"channel layer {args.layer}", flush=True)
    recreate_database(env, DATABASE)
    flush_redis(env)
    manage(env, "migrate", "--no-input")
    pairs = [[users[2 * i], users[2 * i + 1]] for i in range(args.conversations)]
    began = time.perf_counter()
    conversation_ids = seed(env, pairs)
    print(f"{len(conversation_ids)} conversations of {users_count} users created in "
          f"{time.perf_counter() - began:.1f} s", flush=True)
    conversations = [(cid, a[0], b[0]) for cid, (a, b) in zip(conversation_ids, pairs)]

    results: dict[str, dict] = {}
    with running_chat_and_gateway(env) as pids:
        url = f"ws://127.0.0.1:{env['MARKETPLACE_GATEWAY_PORT']}/ws/chat/"
        began = time.perf_counter()
        clients = Clients(args.clients, url, conversations, tokens, sockets_per_user, not args.no_compression)
        print(f"{clients.sockets} sockets open through the gateway in {time.perf_counter() - began:.1f} s", flush=True)
        meter = CpuMeter(env, {"chat": pids["chat"], "nginx": pids["nginx"]}, clients.pids)
        try:
            if args.warmup_seconds:
                print(describe("warm-up", phase(env, clients, meter, "w", args.rate, args.warmup_seconds)), flush=True)
            results["steady"] = phase(env, clients, meter, "s", args.rate, args.seconds)
            print(describe("steady", results["steady"]), flush=True)
            if not args.no_ramp:
                for number, rate in enumerate(float(value) for value in args.ramp.split(",")):
                    figures = phase(env, clients, meter, f"r{number}", rate, args.ramp_seconds)
                    results[f"ramp {rate:g}/s"] = figures
                    print(describe(f"ramp {rate:g}/s", figures), flush=True)
                    if not passes(figures):
                        break
        finally:
            clients.stop()

    steady = results["steady"]
    print(f"\n{clients.sockets} sockets, {args.conversations} conversations, one chat process behind nginx, "
          f"{args.layer} channel layer")
    print("| phase | sent | achieved/s | p50 ms | p99 ms | max ms | echo p99 ms | lost | doubled | drain s "
          "| chat core | chat CPU ms/msg |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for name, f in results.items():
        print(f"| {name} | {f['sent']} | {f['achieved_per_s']} | {f['p50_ms']} | {f['p99_ms']} | {f['max_ms']} "
              f"| {f['echo_p99_ms']} | {f['lost']} | {f['doubled']} | {f['drain_s']} "
              f"| {f['cpu']['chat_core_share']} | {f['cpu']['ms_per_message']['chat']} |")
    ramp = [f for name, f in results.items() if name.startswith("ramp")]
    sustained = max((f["rate"] for f in ramp if passes(f)), default=None)
    if not args.no_ramp:
        print(f"\nmost messages/s one process sustains (p99 <= {TARGET_P99_MS:g} ms, nothing lost, drain <= "
              f"{MAX_DRAIN_S:g} s): {sustained if sustained is not None else 'none of the rates tried'}")
    met = steady["p50_ms"] <= TARGET_P50_MS and steady["p99_ms"] <= TARGET_P99_MS and steady["clean"]
    print(f"steady {args.rate:g}/s: p50 {steady['p50_ms']} ms (<= {TARGET_P50_MS:g}), p99 {steady['p99_ms']} ms "
          f"(<= {TARGET_P99_MS:g}), nothing lost or duplicated: {steady['clean']}")
    print("targets met" if met else "TARGETS MISSED")
    raise SystemExit(0 if met else 1)


def passes(figures: dict) -> bool:
    return figures["p99_ms"] <= TARGET_P99_MS and figures["clean"] and figures["drain_s"] <= MAX_DRAIN_S


if __name__ == "__main__":
    main()
