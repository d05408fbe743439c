#!/usr/bin/env python3
"""CPU per request of one service, A/B between two source trees, rounds alternating.

    git worktree add ../base <revision>; ln -s "$PWD/.venv" ../base/.venv
    .venv/bin/python bench/ab_service.py auth /api/auth/me --a ../base --b .
    .venv/bin/python bench/ab_service.py auth /api/auth/me --b-env MARKETPLACE_LOG_LEVEL=WARNING

Runs the service's gunicorn (as `manage_all.py up` does: 2 gthread workers of 4 threads, stdout
drained through a pipe, a Prometheus multiprocess directory) once from each tree on the databases
`manage_all.py bench http` seeded (run that once first), and sends the same closed-loop load of
8 clients straight to each in turn, A, B, B, A..., reading each server's CPU from /proc. What one
`bench http` run cannot tell apart (a few % on a machine whose speed drifts by more between runs),
alternating rounds on one machine can. The token is minted with the auth service's keys under
var/bench-ab (the service verifies it with those keys: auth locally, the others through auth's JWKS,
so for them run `--jwks-from` an auth server of the same var dir).
"""

from __future__ import annotations

import argparse
import http.client
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from _cpu import TICKS, process_group, process_ticks
from _platform import ROOT

PREFIX = "bench_http_marketplace_"
VAR_DIR = ROOT / "var" / "bench-ab"


def environment(extra: dict) -> dict:
    return {**os.environ, "MARKETPLACE_DATABASE_PREFIX": PREFIX, "MARKETPLACE_VAR_DIR": str(VAR_DIR),
            "MARKETPLACE_DATABASE_URL": os.environ.get("MARKETPLACE_DATABASE_URL", "postgres://postgres@127.0.0.1:5432"),
            "MARKETPLACE_REDIS_URL": "redis://127.0.0.1:6379/13", "MARKETPLACE_REQUIRE_VERIFIED_EMAIL": "false",
            "MARKETPLACE_BROKER_URL": "amqp://guest:guest@127.0.0.1:5672/bench_http", "PYTHONUNBUFFERED": "1",
            **extra}


def mint_token(tree: Path) -> str:
    """An access token for the bench's first active user, signed with the auth service's keys."""
    script = ("import django; django.setup(); from accounts.models import User; "
              "from accounts.tokens import issue_token_pair; "
              "print(issue_token_pair(User.objects.filter(is_active=True).first()).access)")
    answer = subprocess.run([sys.executable, "-c", script], cwd=tree / "projects" / "auth", check=True,
                            capture_output=True, text=True,
                            env=environment({"PYTHONPATH": str(tree / "libs"), "DJANGO_SETTINGS_MODULE": "config.settings"}))
    return answer.stdout.strip().splitlines()[-1]


def start(tree: Path, service: str, port: int, extra: dict) -> subprocess.Popen:
    metrics = VAR_DIR / f"metrics-{port}"
    shutil.rmtree(metrics, ignore_errors=True)
    metrics.mkdir(parents=True)
    command = (f"{tree / '.venv' / 'bin' / 'gunicorn'} config.wsgi --bind 127.0.0.1:{port} --workers 2 "
               f"--worker-class gthread --threads 4 --keep-alive 75 --limit-request-line 0 --error-logfile - "
               f"--log-level warning | cat > /dev/null")
    return subprocess.Popen(["bash", "-c", command], cwd=tree / "projects" / service, start_new_session=True,
                            env=environment({**extra, "PYTHONPATH": str(tree / "libs"),
                                             "PROMETHEUS_MULTIPROC_DIR": str(metrics)}))


def load(port: int, args, token: str, seconds: float) -> tuple[int, list]:
    stop_at = time.perf_counter() + seconds
    done, errors, lock = [0], [], threading.Lock()
    headers = {"Host": "127.0.0.1", "Authorization": f"Bearer {token}"}
    if args.body:
        headers["Content-Type"] = "application/json"

    def client():
        connection, sent = http.client.HTTPConnection("127.0.0.1", port, timeout=60), 0
        while time.perf_counter() < stop_at:
            connection.request(args.method, args.path, body=args.body, headers=headers)
            response = connection.getresponse()
            response.read()
            if response.status >= 300:
                errors.append(response.status)
            sent += 1
        with lock:
            done[0] += sent

    threads = [threading.Thread(target=client) for _ in range(args.clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return done[0], errors


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("service")
    parser.add_argument("path")
    parser.add_argument("--a", type=Path, default=ROOT, help="baseline tree (default: this one)")
    parser.add_argument("--b", type=Path, default=ROOT, help="candidate tree (default: this one)")
    parser.add_argument("--a-env", action="append", default=[], metavar="NAME=VALUE")
    parser.add_argument("--b-env", action="append", default=[], metavar="NAME=VALUE")
    parser.add_argument("--method", default="GET")
    parser.add_argument("--body", help="a JSON body")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--jwks-from", help="auth's base URL, for services other than auth")
    args = parser.parse_args(argv)
    token = mint_token(args.b.resolve())
    common = {"MARKETPLACE_AUTH_JWKS_URL": f"{args.jwks_from}/api/auth/.well-known/jwks.json"} if args.jwks_from else {}
    servers = {}
    for name, tree, port, extra in (("A", args.a, 28701, args.a_env), ("B", args.b, 28702, args.b_env)):
        servers[name] = (start(tree.resolve(), args.service, port, {**common, **dict(kv.split("=", 1) for kv in extra)}),
                         port)
    try:
        time.sleep(6)
        for _, port in servers.values():
            load(port, args, token, 2)  # warm-up
        spent = {name: [0.0, 0] for name in servers}
        for round_ in range(args.rounds):
            order = list(servers.items()) if round_ % 2 == 0 else list(reversed(servers.items()))
            for name, (process, port) in order:
                pids = process_group(os.getpgid(process.pid))
                before = sum(process_ticks(pid) for pid in pids)
                requests, errors = load(port, args, token, args.seconds)
                cpu = (sum(process_ticks(pid) for pid in pids) - before) / TICKS
                spent[name][0] += cpu
                spent[name][1] += requests
                print(f"round {round_} {name}: {requests / args.seconds:6.0f} req/s "
                      f"{1000 * cpu / max(requests, 1):6.3f} ms CPU/req" + (f", {len(errors)} errors" if errors else ""),
                      flush=True)
        a, b = (spent[name][0] / max(spent[name][1], 1) for name in ("A", "B"))
        print(f"A {1000 * a:.3f} ms/req, B {1000 * b:.3f} ms/req, B/A {b / a:.3f}")
    finally:
        for process, _ in servers.values():
            os.killpg(os.getpgid(process.pid), signal.SIGTERM)
    return 0


if __name__ == "__main__":
    sys.exit(main())
