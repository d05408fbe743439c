#!/usr/bin/env python3
"""What one event costs on the platform against a floor, and its latency under paced load (issue 25).

    python3 manage_all.py bench events [--quick] [--rounds 2] [--seconds 15] [--burst 4000]

Two fleets run side by side, each on a RabbitMQ vhost of its own with the same topic exchange:

* platform: the probe service (tests/events/probe_project) as bench/events.py runs it: a producer
  writing each ``user.registered`` to its outbox in a transaction, its outbox relay, and two
  subscribers (``probe_a``, ``probe_b``: Celery workers with the batch consumer and the inbox);
* floor (bench/events_floor.py): a kombu producer publishing the same envelope with publisher
  confirms, and two kombu consumers each INSERTing one row into a database of its own and acking.

Phases, floor and platform one after the other each time (the machine's speed drifts):
1. saturation: --burst events as fast as the producer goes; events/s from the first event's
   occurred_at to the last row written by either consumer;
2. one at a time: each event published once the previous one is in both consumers' tables;
3. paced, --rounds times: open-loop at 50 % of the platform's saturation rate for --seconds; CPU per
   event of every process involved (producer, relay, consumers, the PostgreSQL backends of the
   fleet's databases, RabbitMQ, Redis) from /proc, and p50/p95/p99 from occurred_at to the row;
4. faults (platform only): the paced load again while every connection of the platform's vhost is
   closed twice (rabbitmqctl) and probe_a's worker is SIGKILLed once and started again 2 s later.
After every phase both consumers' tables are checked: every event exactly once (lost, applied twice).

Targets: platform CPU/event <= 2 x floor; nothing lost or applied twice in any platform phase; paced
p99 <= 5 x the one-at-a-time p50. The last line is ``N of M within target``; exit status 0 when all are.
RabbitMQ, Redis and PostgreSQL are shared with whatever else runs on the machine: their columns carry
that noise (the table shows each process so it can be read).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import threading
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path[:0] = [str(BENCH), str(ROOT / "tests" / "events")]

NAME = "bench-cost-events"
REDIS_DB = 11
FLOOR_VHOST = "marketplace-bench-cost-floor"
FLOOR_DATABASES = {"floor_a": "bench_cost_events_floor_a", "floor_b": "bench_cost_events_floor_b"}
PLATFORM_CONSUMERS = ["probe_a", "probe_b"]
OBSERVER = "bench-observer"  # application_name of the bench's own queries, left out of PostgreSQL's CPU
CPU_RATIO_TARGET, LATENCY_RATIO_TARGET = 2.0, 5.0


def percentile(values, fraction):
    from _platform import percentile as nearest_rank

    return nearest_rank(values, fraction)


# --- the two fleets -------------------------------------------------------------------------------

class Side:
    """One fleet: how to start its producer, where its consumers write, which processes are its own."""

    kind = ""
    table = ""

    def __init__(self, env: dict):
        self.env = env

    def database_urls(self) -> dict[str, str]:
        raise NotImplementedError

    def process_groups(self) -> dict[str, int]:
        raise NotImplementedError

    def producer_command(self, prefix: str, count: int, *, rate: float = 0, one_at_a_time: bool = False) -> list[str]:
        command = [sys.executable, str(BENCH / "events_floor.py"), "produce", "--kind", self.kind,
                   "--broker", self.env["MARKETPLACE_BROKER_URL"], "--prefix", prefix, "--count", str(count),
                   "--rate", str(rate)]
        if one_at_a_time:
            command.append("--one-at-a-time")
            for url in self.database_urls().values():
                command += ["--await", f"{url}:{self.table}"]
        return command

    def query(self, consumer: str, sql: str, params=()) -> list[tuple]:
        import psycopg

        with psycopg.connect(self.database_urls()[consumer], autocommit=True, application_name=OBSERVER) as connection:
            return connection.execute(sql, params).fetchall()

    def received(self, prefix: str) -> dict[str, tuple[int, int]]:
        """Per consumer: (distinct events, rows) of the events named ``prefix_...``."""
        pattern = prefix.replace("_", "\\_") + "\\_%"
        return {consumer: self.query(consumer, f"SELECT count(DISTINCT event_id), count(*) FROM {self.table} "
                                               "WHERE username LIKE %s", [pattern])[0]
                for consumer in self.database_urls()}

    def latencies_ms(self, prefix: str) -> list[float]:
        pattern = prefix.replace("_", "\\_") + "\\_%"
        values = []
        for consumer in self.database_urls():
            values += [float(v) for (v,) in self.query(
                consumer, f"SELECT extract(epoch FROM handled_at - occurred_at) * 1000 FROM {self.table} "
                          "WHERE username LIKE %s", [pattern])]
        return sorted(values)

    def span_seconds(self, prefix: str) -> float:
        pattern = prefix.replace("_", "\\_") + "\\_%"
        firsts, lasts = [], []
        for consumer in self.database_urls():
            (first, last), = self.query(consumer, f"SELECT min(occurred_at), max(handled_at) FROM {self.table} "
                                                  "WHERE username LIKE %s", [pattern])
            firsts.append(first)
            lasts.append(last)
        return (max(lasts) - min(firsts)).total_seconds()

    def wait_until_received(self, prefix: str, count: int, timeout: float = 120) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            counts = self.received(prefix)
            if all(distinct >= count for distinct, _ in counts.values()) or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        time.sleep(1.0)  # a second application shows up too
        counts = self.received(prefix)
        return {"lost": sum(count - distinct for distinct, _ in counts.values()),
                "applied_twice": sum(rows - distinct for distinct, rows in counts.values())}


class FloorSide(Side):
    kind, table = "floor", "received"

    def __init__(self, env: dict):
        from _platform import database_url

        super().__init__(env)
        self.urls = {name: database_url(env, database) for name, database in FLOOR_DATABASES.items()}
        self.processes: dict[str, subprocess.Popen] = {}

    def database_urls(self):
        return self.urls

    def process_groups(self):
        return {"consumers": [p.pid for p in self.processes.values()]}

    def setup(self) -> None:
        from _platform import recreate_database
        from events_floor import create_floor_table

        for database in FLOOR_DATABASES.values():
            recreate_database(self.env, database)
        for url in self.urls.values():
            create_floor_table(url)
        # Declared before anything is published: a message with no queue bound yet would be dropped.
        from kombu import Connection

        from events_floor import floor_queue

        with Connection(self.env["MARKETPLACE_BROKER_URL"]) as connection:
            for name in self.urls:
                floor_queue(f"{name}.events")(connection.default_channel).declare()

    def start(self) -> None:
        log_dir = Path(self.env["MARKETPLACE_VAR_DIR"]) / "logs"
        log_dir.mkdir(parents=True, exist_ok=True)
        for name, url in self.urls.items():
            with open(log_dir / f"{name}.log", "a") as log:
                self.processes[name] = subprocess.Popen(
                    [sys.executable, str(BENCH / "events_floor.py"), "consume", "--broker",
                     self.env["MARKETPLACE_BROKER_URL"], "--database", url, "--queue", f"{name}.events"],
                    env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    def stop(self) -> None:
        from _platform import stop_group

        for process in self.processes.values():
            stop_group(process)


class PlatformSide(Side):
    kind, table = "platform", "probe_received"

    def __init__(self, env: dict):
        from harness import Fleet

        super().__init__(env)
        self.fleet = Fleet(env)

    def database_urls(self):
        return {consumer: self.fleet.database_url(consumer) for consumer in PLATFORM_CONSUMERS}

    def all_database_names(self) -> list[str]:
        prefix = self.env["MARKETPLACE_DATABASE_PREFIX"]
        return [f"{prefix}{service}" for service in ["probe_producer", *PLATFORM_CONSUMERS]]

    def process_groups(self):
        processes = self.fleet.processes
        return {"relay": [processes["probe_producer-relay"].pid],
                "consumers": [processes[f"{c}-worker"].pid for c in PLATFORM_CONSUMERS]}

    def setup(self) -> None:
        self.fleet.migrate("probe_producer", *PLATFORM_CONSUMERS)

    def start(self) -> None:
        for consumer in PLATFORM_CONSUMERS:
            self.start_worker(consumer)
        self.fleet.start_relay("probe_producer")

    def start_worker(self, consumer: str) -> None:
        # As bench/events.py and the platform run them: a thread pool of two.
        self.fleet.start_worker(consumer, concurrency=2, pool="threads")

    def stop(self) -> None:
        self.fleet.stop_all()


# --- CPU --------------------------------------------------------------------------------------------

class CpuMeter:
    def __init__(self, side: Side, databases: list[str]):
        from _cpu import processes_named
        from _platform import database_url

        self.side, self.databases = side, databases
        self.admin_url = database_url(side.env, "postgres")
        self.shared = {"rabbitmq": processes_named("beam.smp"), "redis": processes_named("redis-server")}

    def _ticks(self) -> dict[str, int]:
        from _cpu import group_ticks, process_ticks

        ticks = {name: sum(group_ticks(pgid) for pgid in pgids) for name, pgids in self.side.process_groups().items()}
        ticks.update({name: sum(process_ticks(pid) for pid in pids) for name, pids in self.shared.items()})
        return ticks

    def start(self) -> None:
        from _cpu import BackendSampler

        self.sampler = BackendSampler(self.admin_url, self.databases, excluded_application=OBSERVER,
                                     interval=0.25)
        self.sampler.start()
        self.before = self._ticks()

    def stop(self, producer_seconds: float) -> dict[str, float]:
        from _cpu import TICKS

        after = self._ticks()
        spent = {"producer": producer_seconds}
        spent.update({name: (after[name] - self.before.get(name, 0)) / TICKS for name in after})
        spent["postgres"] = self.sampler.stop()
        return spent


# --- phases -------------------------------------------------------------------------------------------

def run_producer(side: Side, command: list[str]) -> float:
    """Runs the producer to the end; the CPU seconds it spent (its own figure: start-up left out)."""
    done = subprocess.run(command, env=side.env, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"{side.kind} producer failed:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}")
    line = next(line for line in done.stdout.splitlines() if line.startswith("producer_cpu_seconds "))
    return float(line.split()[1])


def tag(name: str) -> str:
    return f"{name}{int(time.time() * 1000) % 10**9}"


def saturation(side: Side, count: int) -> dict:
    prefix = tag(f"sat{side.kind[0]}")
    run_producer(side, side.producer_command(prefix, count))
    outcome = side.wait_until_received(prefix, count)
    return {"events_per_s": round(count / side.span_seconds(prefix)), **outcome}


def one_at_a_time(side: Side, count: int) -> dict:
    prefix = tag(f"one{side.kind[0]}")
    run_producer(side, side.producer_command(prefix, count, one_at_a_time=True))
    outcome = side.wait_until_received(prefix, count)
    values = side.latencies_ms(prefix)
    return {"p50_ms": percentile(values, 0.5), "values": values, **outcome}


def paced(side: Side, databases: list[str], rate: float, seconds: float, faults=None, profile: Path | None = None) -> dict:
    prefix = tag(f"pace{side.kind[0]}")
    count = int(rate * seconds)
    meter = CpuMeter(side, databases)
    samplers = []
    if profile:
        import _profile

        pids = {f"{side.kind} {name} {index + 1}": pid for name, group in side.process_groups().items()
                for index, pid in enumerate(group)}
        samplers = _profile.start(pids, seconds, profile)
    meter.start()
    thread = threading.Thread(target=faults, args=(seconds,)) if faults else None
    if thread:
        thread.start()
    producer_seconds = run_producer(side, side.producer_command(prefix, count, rate=rate))
    if thread:
        thread.join()
    outcome = side.wait_until_received(prefix, count)
    spent = meter.stop(producer_seconds)
    if samplers:
        import _profile

        _profile.finish(samplers)
        for name in pids:
            print(_profile.summary(profile / f"{name}.txt"), flush=True)
    values = side.latencies_ms(prefix)
    return {"events": count, "cpu": spent, "values": values, **outcome}


def close_connections(vhost: str) -> None:
    from devtools.servers import program

    subprocess.run([program("rabbitmqctl") or "rabbitmqctl", "-q", "close_all_connections", "--vhost", vhost,
                    "bench events: connections closed on purpose"], check=True, capture_output=True, timeout=60)


def fault_injector(platform: PlatformSide, vhost: str):
    def inject(seconds: float) -> None:
        time.sleep(seconds / 4)
        close_connections(vhost)
        time.sleep(seconds / 4)
        platform.fleet.kill("probe_a-worker")
        time.sleep(2)
        platform.start_worker("probe_a")
        time.sleep(max(0.0, seconds / 4 - 2))
        close_connections(vhost)

    return inject


# --- the report -------------------------------------------------------------------------------------

def summed(runs: list[dict]) -> tuple[dict[str, float], int]:
    events = sum(run["events"] for run in runs)
    total: dict[str, float] = {}
    for run in runs:
        for name, seconds in run["cpu"].items():
            total[name] = total.get(name, 0.0) + seconds
    return total, events


def per_event_ms(total: dict[str, float], events: int) -> dict[str, float]:
    return {name: 1000 * seconds / max(1, events) for name, seconds in total.items()}


def report(results: dict, rate: float, args) -> int:
    floor_cpu = per_event_ms(*summed(results["floor"]["paced"]))
    platform_cpu = per_event_ms(*summed(results["platform"]["paced"]))
    names = ["producer", "relay", "consumers", "postgres", "rabbitmq", "redis"]
    floor_total, platform_total = sum(floor_cpu.values()), sum(platform_cpu.values())
    print(f"\nCPU ms per event (paced at {rate:g}/s, {args.rounds} round(s) of {args.seconds:g} s each, interleaved; "
          "each event delivered to two consumers)")
    print("| process | floor | platform | platform ÷ floor |\n|---|---|---|---|")
    for name in names:
        floor_value, platform_value = floor_cpu.get(name, 0.0), platform_cpu.get(name, 0.0)
        ratio = f"{platform_value / floor_value:.2f}" if floor_value > 0.005 else "–"
        print(f"| {name} | {floor_value:.3f} | {platform_value:.3f} | {ratio} |")
    cpu_ratio = platform_total / floor_total
    print(f"| **all** | **{floor_total:.3f}** | **{platform_total:.3f}** | **{cpu_ratio:.2f}** |")

    print("\n| figure | floor | platform |\n|---|---|---|")
    for name in ("floor", "platform"):
        side = results[name]
        side["paced_values"] = sorted(v for run in side["paced"] for v in run["values"])
    row = lambda label, f: print(f"| {label} | {f(results['floor'])} | {f(results['platform'])} |")  # noqa: E731
    row("saturation, events/s (burst of %d)" % args.burst, lambda s: s["saturation"]["events_per_s"])
    row("one at a time: p50 ms", lambda s: f"{s['one']['p50_ms']:.1f}")
    for label, fraction in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99)):
        row(f"paced {rate:g}/s: {label} ms", lambda s, q=fraction: f"{percentile(s['paced_values'], q):.1f}")
    row("lost / applied twice (all phases)", lambda s: f"{s['lost']} / {s['applied_twice']}")
    fault = results["platform"]["faults"]
    print(f"\nfaults (platform, paced {rate:g}/s for {args.seconds:g} s, connections closed twice, probe_a's worker "
          f"killed once): {fault['events']} events, lost {fault['lost']}, applied twice {fault['applied_twice']}, "
          f"p99 {percentile(fault['values'], 0.99):.1f} ms")

    platform = results["platform"]
    p99 = percentile(platform["paced_values"], 0.99)
    one_p50 = platform["one"]["p50_ms"]
    checks = [
        (f"CPU per event {platform_total:.3f} ms <= {CPU_RATIO_TARGET:g} x floor {floor_total:.3f} ms "
         f"(ratio {cpu_ratio:.2f})", cpu_ratio <= CPU_RATIO_TARGET),
        (f"nothing lost or applied twice, faults included (lost {platform['lost'] + fault['lost']}, twice "
         f"{platform['applied_twice'] + fault['applied_twice']})",
         platform["lost"] + fault["lost"] == 0 and platform["applied_twice"] + fault["applied_twice"] == 0),
        (f"paced p99 {p99:.1f} ms <= {LATENCY_RATIO_TARGET:g} x one-at-a-time p50 {one_p50:.1f} ms "
         f"(ratio {p99 / one_p50:.2f})", p99 <= LATENCY_RATIO_TARGET * one_p50),
    ]
    floor_p99 = percentile(results["floor"]["paced_values"], 0.99)
    print(f"\n(the floor's own paced p99 {floor_p99:.1f} ms is {floor_p99 / results['floor']['one']['p50_ms']:.2f} x its "
          "one-at-a-time p50: what the machine alone does to a tail)")
    from _platform import verdict

    return verdict(checks)


# --- main ----------------------------------------------------------------------------------------

def parse(argv):
    parser = argparse.ArgumentParser(prog="manage_all.py bench events", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a short run: smaller burst, one paced round of 6 s")
    parser.add_argument("--rounds", type=int, default=None, help="paced rounds of each (default 2, quick 1)")
    parser.add_argument("--seconds", type=float, default=None, help="seconds of each paced round (default 15, quick 6)")
    parser.add_argument("--burst", type=int, default=None, help="events of the saturation burst (default 4000, quick 1500)")
    parser.add_argument("--profile", type=Path, metavar="DIR",
                        help="py-spy the relay and consumers during the first paced round (slows it: CPU figures of a "
                             "profiled run are not comparable); collapsed stacks in DIR")
    parser.add_argument("--one", type=int, default=None, help="events sent one at a time (default 60, quick 25)")
    parser.add_argument("--rate", type=float, default=None,
                        help="events/s of the paced rounds (default: 50 %% of this run's platform saturation); "
                             "fixed, it lets two runs of different code be compared at the same batch sizes")
    args = parser.parse_args(argv)
    defaults = dict(rounds=1, seconds=6, burst=1500, one=25) if args.quick else dict(rounds=2, seconds=15, burst=4000, one=60)
    for name, value in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    from devtools.environment import fresh_vhost, with_vhost
    from harness import events_environment

    platform_env = events_environment(name=NAME, redis_db=REDIS_DB)
    platform_vhost = platform_env["MARKETPLACE_BROKER_URL"].rsplit("/", 1)[1]
    fresh_vhost(FLOOR_VHOST)
    floor_env = {**platform_env, "MARKETPLACE_BROKER_URL": with_vhost(platform_env["MARKETPLACE_BROKER_URL"], FLOOR_VHOST)}
    floor, platform = FloorSide(floor_env), PlatformSide(platform_env)
    sides = {"floor": floor, "platform": platform}
    databases = {"floor": list(FLOOR_DATABASES.values()), "platform": platform.all_database_names()}
    results = {name: {"paced": [], "lost": 0, "applied_twice": 0} for name in sides}

    def note(name: str, phase: str, figures: dict) -> None:
        results[name]["lost"] += figures["lost"]
        results[name]["applied_twice"] += figures["applied_twice"]
        shown = {k: (round(v, 1) if isinstance(v, float) else v) for k, v in figures.items() if k not in ("values", "cpu")}
        if "cpu" in figures:
            shown["cpu_ms_per_event"] = round(1000 * sum(figures["cpu"].values()) / figures["events"], 3)
        print(f"{phase} {name}: {shown}", flush=True)

    print(f"platform on vhost {platform_vhost}, floor on {FLOOR_VHOST}, Redis db {REDIS_DB}", flush=True)
    for side in sides.values():
        side.setup()
    try:
        for side in sides.values():
            side.start()
        for name, side in sides.items():  # both up, queues bound, the first event through
            note(name, "warm-up", saturation(side, 50))
        for name, side in sides.items():
            results[name]["saturation"] = figures = saturation(side, args.burst)
            note(name, "saturation", figures)
        rate = args.rate or max(1.0, round(results["platform"]["saturation"]["events_per_s"] / 2))
        for name, side in sides.items():
            results[name]["one"] = figures = one_at_a_time(side, args.one)
            note(name, "one at a time", figures)
        for round_number in range(args.rounds):
            for name, side in sides.items():
                figures = paced(side, databases[name], rate, args.seconds,
                                profile=args.profile if round_number == 0 else None)
                results[name]["paced"].append(figures)
                note(name, f"paced round {round_number + 1}", figures)
        results["platform"]["faults"] = figures = paced(platform, databases["platform"], rate, args.seconds,
                                                        faults=fault_injector(platform, platform_vhost))
        print(f"faults platform: lost {figures['lost']}, applied twice {figures['applied_twice']}", flush=True)
    finally:
        for side in sides.values():
            side.stop()
    return report(results, rate, args)


if __name__ == "__main__":
    raise SystemExit(main())
