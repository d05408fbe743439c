#!/usr/bin/env python3
"""What one chat message costs against a floor, on one and two processes, and its latency (issue 25).

    python3 manage_all.py bench chat [--quick] [--sockets 1000] [--conversations 500] [--rounds 2] [--seconds 15]

Three stacks run side by side, each behind nginx rendered from the gateway's template on ports of
its own (bases 29100, 29300, 29500), each with its own users, database and load-generator process
(bench/chat.py's: asyncio + websockets, --sockets sockets through the gateway, --conversations
conversations, every participant online):

* floor: bench/chat_floor, a bare Channels ``AsyncJsonWebsocketConsumer`` under the same ASGI server
  (uvicorn, as devtools/processes.py starts it) and the same channel layer (channels_redis pub/sub):
  per message one conversation lookup, one INSERT, a ``group_send`` to each participant;
* platform: the chat service as bench/chat.py runs it (one process);
* platform x2: the same with ``MARKETPLACE_SOCKET_PROCESSES=2``, the gateway balancing sockets over
  both (chat is a socket service: MARKETPLACE_WEB_PROCESSES counts gunicorn processes of the HTTP ones).

Phases: a burst (saturation: --burst messages offered over 2 s, completed messages/s from the
first send to the last delivery), then one message at a time (4/s, each alone), then --rounds paced
rounds at 50 % of the one-process platform's saturation, the three stacks one after the other
each round. CPU per message of the chat process(es), nginx, the stack's PostgreSQL backends and
Redis (from /proc; the load generator is shown, not counted). Every message must reach every socket
of both participants exactly once and nowhere else, be in the database once, and be there before
anyone is told: every tenth message's first arrival looks it up in the database at once.

Targets: platform CPU/message <= 2 x floor; nothing lost, doubled or misrouted, stored before told;
paced p99 <= 5 x one-at-a-time p50; two processes' CPU/message <= 1.15 x one process's. The last
line is ``N of M within target``; exit status 0 when all are.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
import uuid
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import chat  # noqa: E402
from _cpu import TICKS, BackendSampler, group_ticks, process_ticks, processes_named  # noqa: E402
from _platform import (ROOT, bench_environment, database_url, percentile, recreate_database,  # noqa: E402
                       running_processes, verdict)

FLOOR_DIR = BENCH / "chat_floor"
REDIS_DB = 12
PORT_BASES = {"floor": 29100, "platform": 29300, "platform x2": 29500}
CPU_RATIO_TARGET, LATENCY_RATIO_TARGET, TWO_PROCESS_TARGET = 2.0, 5.0, 1.15
ONE_AT_A_TIME_RATE = 4.0
CHECK_EVERY = 10


# --- the stacks ------------------------------------------------------------------------------------

class Stack:
    def __init__(self, name: str, jwks: str, users: list, tokens: dict):
        self.name, self.users, self.tokens = name, users, tokens
        self.floor = name == "floor"
        base = PORT_BASES[name]
        slug = name.replace(" ", "")
        self.env = bench_environment(
            MARKETPLACE_GATEWAY_PORT=str(base + 99), MARKETPLACE_PORT_BASE=str(base),
            MARKETPLACE_DATABASE_PREFIX=f"bench_cost_chat_{slug}_marketplace_",
            MARKETPLACE_VAR_DIR=str(ROOT / "var" / f"bench-cost-chat-{slug}"),
            MARKETPLACE_PUBLIC_URL=f"http://127.0.0.1:{base + 99}",
            MARKETPLACE_SOCKET_PROCESSES="2" if name == "platform x2" else "1",
            MARKETPLACE_CHAT_SEND_LIMIT="1000000000", MARKETPLACE_LOG_LEVEL="WARNING",
            MARKETPLACE_BENCH_JWKS=jwks, PYTHONUNBUFFERED="1",
        )
        redis = chat.urlsplit(self.env["MARKETPLACE_REDIS_URL"])
        self.env["MARKETPLACE_REDIS_URL"] = f"{redis.scheme}://{redis.netloc}/{REDIS_DB}"
        self.database = f"{self.env['MARKETPLACE_DATABASE_PREFIX']}chat"
        if self.floor:
            self.env.update(DJANGO_SETTINGS_MODULE="config.settings", BENCH_FLOOR_DATABASE=self.database)
            self.app_dir, self.table = FLOOR_DIR, "floorchat_message"
        else:
            self.env["DJANGO_SETTINGS_MODULE"] = "chat_bench_settings"
            self.env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(chat.SETTINGS_DIR), self.env.get("PYTHONPATH")]))
            self.app_dir, self.table = chat.CHAT_DIR, "messaging_message"
        Path(self.env["MARKETPLACE_VAR_DIR"]).mkdir(parents=True, exist_ok=True)

    def prepare(self) -> list[tuple[str, str, str]]:
        """A fresh database with a conversation per pair of this stack's users."""
        recreate_database(self.env, self.database)
        pairs = [[self.users[2 * i], self.users[2 * i + 1]] for i in range(len(self.users) // 2)]
        if self.floor:
            import psycopg

            run = chat.subprocess.run([sys.executable, "manage.py", "migrate", "--run-syncdb", "-v0"], cwd=FLOOR_DIR,
                                      env=self.env, capture_output=True, text=True)
            if run.returncode:
                raise SystemExit(f"floor migrate failed:\n{run.stderr[-3000:]}")
            ids = [str(uuid.uuid4()) for _ in pairs]
            with psycopg.connect(database_url(self.env, self.database)) as connection:
                connection.cursor().executemany("INSERT INTO floorchat_conversation (id, low, high) VALUES (%s, %s, %s)",
                                                [(cid, a[0], b[0]) for cid, (a, b) in zip(ids, pairs)])
        else:
            chat.manage(self.env, "migrate", "--no-input")
            ids = chat.seed(self.env, pairs)
        return [(cid, a[0], b[0]) for cid, (a, b) in zip(ids, pairs)]

    def commands(self) -> dict:
        from devtools import nginx
        from devtools.processes import web_command

        os.environ.update(self.env)  # topology (ports, socket processes) reads the environment
        binary = nginx.ensure_installed()
        conf = nginx.render(Path(self.env["MARKETPLACE_VAR_DIR"]) / "nginx", env=self.env)
        nginx.test_config(binary, conf)
        commands = {"nginx": ([binary, "-e", "stderr", "-p", str(conf.parent), "-c", str(conf), "-g", "daemon off;"],
                              ROOT)}
        for index, port in enumerate(self.ports()):
            commands[f"chat-{index + 1}"] = (web_command(self.app_dir, port, asgi=True, env=self.env).split(),
                                             self.app_dir)
        return commands

    def ports(self) -> list[int]:
        base = int(self.env["MARKETPLACE_PORT_BASE"]) + 6
        return [base + 100 * index for index in range(int(self.env["MARKETPLACE_SOCKET_PROCESSES"]))]

    def is_up(self) -> bool:
        return all(chat.httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200
                   for port in self.ports())

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.env['MARKETPLACE_GATEWAY_PORT']}/ws/chat/"


class StoredFirstClient(chat.LoadClient):
    """bench/chat.py's load client, which also looks every tenth message up in the database the
    moment its first copy arrives: it must already be there (stored before anyone is told)."""

    database_url = ""
    table = ""

    async def read(self, index: int, ws) -> None:
        from websockets.exceptions import ConnectionClosed

        self.told_before_stored = getattr(self, "told_before_stored", 0)
        self.checked = getattr(self, "checked", 0)
        try:
            async for raw in ws:
                now = chat.time.perf_counter()
                frame = json.loads(raw)
                if frame.get("type") == "message.new":
                    client_id = frame["message"]["client_id"]
                    first = client_id not in self.arrivals
                    self.arrivals[client_id].append((index, now))
                    self.arrived += 1
                    self.last_arrival = now
                    if first and int(client_id.rsplit("-", 1)[1]) % CHECK_EVERY == 0:
                        self.check_stored(client_id)
                elif frame.get("type") == "error":
                    self.errors[frame.get("code")] += 1
        except ConnectionClosed:
            pass
        self.closed.append((index, ws.close_code))

    def check_stored(self, client_id: str) -> None:
        import psycopg

        if not hasattr(self, "_database"):
            self._database = psycopg.connect(self.database_url, autocommit=True)
        self.checked += 1
        if self._database.execute(f"SELECT 1 FROM {self.table} WHERE client_id = %s", [client_id]).fetchone() is None:
            self.told_before_stored += 1

    def outcome(self, *args, **kwargs) -> dict:
        result = super().outcome(*args, **kwargs)
        result["errors"] = {**result["errors"], **({"told_before_stored": self.told_before_stored}
                                                   if getattr(self, "told_before_stored", 0) else {})}
        result["checked"] = getattr(self, "checked", 0)
        self.told_before_stored = self.checked = 0
        return result


class Meter:
    """CPU seconds of a stack between start() and stop(): its chat process(es), nginx, its database's
    PostgreSQL backends, Redis; and the load generator's (shown apart)."""

    def __init__(self, stack: Stack, pids: dict[str, int], client_pids: list[int]):
        self.stack, self.pids, self.client_pids = stack, pids, client_pids
        self.redis = processes_named("redis-server")

    def _ticks(self) -> dict:
        return {"chat": sum(group_ticks(pid) for name, pid in self.pids.items() if name.startswith("chat")),
                "nginx": group_ticks(self.pids["nginx"]), "redis": sum(process_ticks(p) for p in self.redis),
                "load generator": sum(process_ticks(p) for p in self.client_pids)}

    def start(self) -> None:
        self.sampler = BackendSampler(database_url(self.stack.env, self.stack.database), self.stack.database)
        self.sampler.start()
        self.before = self._ticks()

    def stop(self) -> dict:
        after = self._ticks()
        spent = {name: (after[name] - self.before[name]) / TICKS for name in after}
        spent["postgres"] = self.sampler.stop()
        return spent


def database_check(stack: Stack, client_ids: list[str]) -> dict:
    import psycopg

    with psycopg.connect(database_url(stack.env, stack.database)) as connection:
        rows = dict(connection.execute(f"SELECT client_id, count(*) FROM {stack.table} WHERE client_id = ANY(%s) "
                                       "GROUP BY client_id", [client_ids]).fetchall())
    return {"db_missing": sum(1 for cid in client_ids if cid not in rows),
            "db_doubled": sum(count - 1 for count in rows.values())}


def phase(stack: Stack, clients, meter: Meter, tag: str, rate: float, seconds: float) -> dict:
    meter.start()
    result = clients.run(tag, rate, seconds)
    cpu = meter.stop()
    clients.settle()
    checked = database_check(stack, result["client_ids"])
    deliveries = result["delivery"]
    last_delivery_s = result["sending"] + result["drain_s"]
    return {"sent": result["sent"], "delivery": deliveries, "cpu": cpu,
            "completed_per_s": result["sent"] / max(last_delivery_s, 1e-9),
            "lost": result["lost"] + checked["db_missing"], "doubled": result["doubled"] + checked["db_doubled"],
            "misrouted": result["misrouted"], "errors": result["errors"], "closed": result["closed"]}


def clean(figures: dict) -> bool:
    return not (figures["lost"] or figures["doubled"] or figures["misrouted"] or figures["errors"] or figures["closed"])


def show(stack: str, name: str, f: dict) -> None:
    cpu = ", ".join(f"{k} {1000 * v / max(1, f['sent']):.2f}" for k, v in f["cpu"].items())
    print(f"{name} {stack}: {f['sent']} messages, completed {f['completed_per_s']:.0f}/s, p50 "
          f"{percentile(f['delivery'], 0.5):.1f} ms, p99 {percentile(f['delivery'], 0.99):.1f} ms; lost {f['lost']}, "
          f"doubled {f['doubled']}, misrouted {f['misrouted']}, errors {f['errors'] or 0}, closed {f['closed']}; "
          f"CPU ms/message: {cpu}", flush=True)


# --- main ----------------------------------------------------------------------------------------

def parse(argv):
    parser = argparse.ArgumentParser(prog="manage_all.py bench chat", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="200 sockets, 100 conversations, one paced round of 6 s")
    parser.add_argument("--sockets", type=int)
    parser.add_argument("--conversations", type=int)
    parser.add_argument("--rounds", type=int)
    parser.add_argument("--seconds", type=float)
    parser.add_argument("--burst", type=int, default=None,
                        help="messages of the saturation burst, offered over 2 s (default 1200, quick 600)")
    parser.add_argument("--profile", type=Path, metavar="DIR",
                        help="py-spy the chat processes during the first paced round (slows it: CPU figures of a "
                             "profiled run are not comparable); collapsed stacks in DIR")
    parser.add_argument("--counters", type=Path, metavar="DIR",
                        help="count the chat processes' context switches and system calls per thread (perf stat) "
                             "during the first paced round, and print them per message; CSV in DIR")
    parser.add_argument("--rate", type=float, default=None,
                        help="messages/s of the paced rounds (default: 50 %% of this run's platform saturation); "
                             "fixed, it lets two runs of different code be compared at the same load")
    args = parser.parse_args(argv)
    defaults = (dict(sockets=200, conversations=100, rounds=1, seconds=6, burst=600) if args.quick
                else dict(sockets=1000, conversations=500, rounds=2, seconds=15, burst=1200))
    for name, value in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    if args.sockets < 2 * args.conversations:
        parser.error("--sockets must be at least 2 x --conversations (every participant online)")
    return args


def main(argv: list[str] | None = None) -> int:
    import contextlib

    args = parse(argv)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, 12 * args.sockets + 2048)), hard))
    from cryptography.hazmat.primitives.asymmetric import rsa

    from marketplace_libs.testing import mint_token, test_jwks

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwks = json.dumps(test_jwks(key))
    stacks = {}
    for name in PORT_BASES:
        users = [(str(uuid.uuid4()), f"b{name[0]}{index}") for index in range(2 * args.conversations)]
        tokens = {user: mint_token(user_id=user, username=username, key=key, lifetime=6 * 3600, email_verified=True)
                  for user, username in users}
        stacks[name] = Stack(name, jwks, users, tokens)
    chat.flush_redis(stacks["floor"].env)
    results: dict[str, dict] = {name: {"paced": []} for name in stacks}
    with contextlib.ExitStack() as running:
        clients, meters = {}, {}
        for name, stack in stacks.items():
            conversations = stack.prepare()
            pids = running.enter_context(running_processes(
                stack.commands(), env=stack.env, log_dir=Path(stack.env["MARKETPLACE_VAR_DIR"]), is_up=stack.is_up,
                what=name, timeout=90))
            users_count = len(stack.users)
            per_user = {user: args.sockets // users_count + (index < args.sockets % users_count)
                        for index, (user, _) in enumerate(stack.users)}
            StoredFirstClient.database_url, StoredFirstClient.table = database_url(stack.env, stack.database), stack.table
            chat.LoadClient = StoredFirstClient  # the forked load generator builds one of these
            clients[name] = chat.Clients(1, stack.url, conversations, stack.tokens, per_user, False)
            running.callback(clients[name].stop)
            meters[name] = Meter(stack, pids, clients[name].pids)
            print(f"{name}: {clients[name].sockets} sockets through the gateway on port "
                  f"{stack.env['MARKETPLACE_GATEWAY_PORT']}, {len(stack.ports())} process(es)", flush=True)

        def run(name: str, label: str, rate: float, seconds: float, profile: Path | None = None,
                counters: Path | None = None) -> dict:
            import _profile

            processes = {f"{name} {key}": pid for key, pid in meters[name].pids.items() if key.startswith("chat")}
            samplers = _profile.start(processes, seconds, profile) if profile else []
            counting = _profile.start_counting(processes, seconds, counters) if counters else []
            figures = phase(stacks[name], clients[name], meters[name], f"{label[0]}{int(time.time()) % 100000}",
                            rate, seconds)
            show(name, label, figures)
            if samplers:
                _profile.finish(samplers)
                for process in processes:
                    print(_profile.summary(profile / f"{process}.txt", top=60), flush=True)
            if counting:
                _profile.finish(counting)
                for process, pid in processes.items():
                    print(_profile.counted(counters / f"{process}.perf", pid, figures["sent"]), flush=True)
            return figures

        for name in stacks:
            run(name, "warm-up", 50, 2)
        for name in stacks:
            # More than any stack keeps up with, but small enough to be delivered within the load
            # generator's 30 s wait: completed/s is then what the stack sustains.
            results[name]["saturation"] = run(name, "saturation", args.burst / 2, 2)
        rate = args.rate or max(1.0, round(results["platform"]["saturation"]["completed_per_s"] / 2))
        one_count = 20 if args.quick else 40
        for name in stacks:
            results[name]["one"] = run(name, "one-at-a-time", ONE_AT_A_TIME_RATE, one_count / ONE_AT_A_TIME_RATE)
        for round_number in range(args.rounds):
            for name in stacks:
                first = round_number == 0
                results[name]["paced"].append(run(name, f"paced-{round_number + 1}", rate, args.seconds,
                                                  profile=args.profile if first else None,
                                                  counters=args.counters if first else None))
    return report(results, rate, args)


def report(results: dict, rate: float, args) -> int:
    def per_message(name: str) -> dict[str, float]:
        runs = results[name]["paced"]
        sent = sum(run["sent"] for run in runs)
        return {key: 1000 * sum(run["cpu"][key] for run in runs) / max(1, sent) for key in runs[0]["cpu"]}

    counted = ["chat", "nginx", "postgres", "redis"]
    cpu = {name: per_message(name) for name in results}
    total = {name: sum(cpu[name][key] for key in counted) for name in results}
    print(f"\nCPU ms per message (paced at {rate:g}/s, {args.rounds} round(s) of {args.seconds:g} s, interleaved; "
          f"{args.sockets} sockets and {args.conversations} conversations per stack)")
    print("| process | floor | platform | platform x2 | platform ÷ floor |\n|---|---|---|---|---|")
    for key in [*counted, "load generator"]:
        ratio = cpu["platform"][key] / cpu["floor"][key] if cpu["floor"][key] > 0.005 else None
        shown = "(not counted) " if key == "load generator" else ""
        print(f"| {shown}{key} | {cpu['floor'][key]:.3f} | {cpu['platform'][key]:.3f} | {cpu['platform x2'][key]:.3f} "
              f"| {f'{ratio:.2f}' if ratio is not None else '–'} |")
    cpu_ratio = total["platform"] / total["floor"]
    print(f"| **all counted** | **{total['floor']:.3f}** | **{total['platform']:.3f}** | **{total['platform x2']:.3f}** "
          f"| **{cpu_ratio:.2f}** |")

    latencies = {name: sorted(v for run in results[name]["paced"] for v in run["delivery"]) for name in results}
    print("\n| figure | floor | platform | platform x2 |\n|---|---|---|---|")

    def row(label, value):
        print(f"| {label} | " + " | ".join(value(name) for name in results) + " |")

    row("saturation, messages/s completed", lambda n: f"{results[n]['saturation']['completed_per_s']:.0f}")
    row("one at a time: p50 ms", lambda n: f"{percentile(results[n]['one']['delivery'], 0.5):.1f}")
    for label, fraction in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99)):
        row(f"paced {rate:g}/s: {label} ms", lambda n, q=fraction: f"{percentile(latencies[n], q):.1f}")
    phases = lambda n: [results[n]["saturation"], results[n]["one"], *results[n]["paced"]]  # noqa: E731
    row("lost / doubled / misrouted", lambda n: " / ".join(
        str(sum(f[key] for f in phases(n))) for key in ("lost", "doubled", "misrouted")))
    row("errors (told before stored...) / closed sockets", lambda n: " / ".join(
        [str(sum(sum(f["errors"].values()) for f in phases(n))), str(max(f["closed"] for f in phases(n)))]))

    p99 = percentile(latencies["platform"], 0.99)
    one_p50 = percentile(results["platform"]["one"]["delivery"], 0.5)
    two_ratio = total["platform x2"] / total["platform"]
    platform_clean = all(clean(f) for n in ("platform", "platform x2") for f in phases(n))
    checks = [
        (f"CPU per message {total['platform']:.3f} ms <= {CPU_RATIO_TARGET:g} x floor {total['floor']:.3f} ms "
         f"(ratio {cpu_ratio:.2f})", cpu_ratio <= CPU_RATIO_TARGET),
        ("nothing lost, doubled or misrouted, stored before told (one and two processes)", platform_clean),
        (f"paced p99 {p99:.1f} ms <= {LATENCY_RATIO_TARGET:g} x one-at-a-time p50 {one_p50:.1f} ms "
         f"(ratio {p99 / one_p50:.2f})", p99 <= LATENCY_RATIO_TARGET * one_p50),
        (f"two processes: CPU per message {total['platform x2']:.3f} ms <= {TWO_PROCESS_TARGET:g} x one process's "
         f"(ratio {two_ratio:.2f})", two_ratio <= TWO_PROCESS_TARGET),
    ]
    floor_p99, floor_one = percentile(latencies["floor"], 0.99), percentile(results["floor"]["one"]["delivery"], 0.5)
    print(f"\n(the floor's own paced p99 {floor_p99:.1f} ms is {floor_p99 / floor_one:.2f} x its one-at-a-time p50: "
          "what the machine alone does to a tail)")
    return verdict(checks)


if __name__ == "__main__":
    raise SystemExit(main())
