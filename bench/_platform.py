"""Starts a private copy of the platform for a benchmark (own ports, databases, Redis db, var/)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from devtools.environment import test_environment  # noqa: E402


def bench_environment(**overrides: str) -> dict:
    env = test_environment()
    redis = urlsplit(env["MARKETPLACE_REDIS_URL"])
    env.update({
        "MARKETPLACE_GATEWAY_PORT": "28080",
        "MARKETPLACE_PORT_BASE": "28100",
        "MARKETPLACE_DATABASE_PREFIX": "bench_marketplace_",
        "MARKETPLACE_VAR_DIR": str(ROOT / "var" / "bench"),
        "MARKETPLACE_PUBLIC_URL": "http://127.0.0.1:28080",
        "MARKETPLACE_REDIS_URL": f"{redis.scheme}://{redis.netloc}/3",
        # One load generator on loopback is one client address: lift the per-client limits.
        "MARKETPLACE_GATEWAY_RATE_LIMIT": "1000000",
        "MARKETPLACE_GATEWAY_CREDENTIALS_RATE_LIMIT": "1000000",
        "MARKETPLACE_LOGIN_FAILURES_PER_ADDRESS": "1000000",
    })
    env.update(overrides)
    return env


@contextlib.contextmanager
def running_platform(env: dict, *up_options: str):
    """``manage_all.py up [up_options]`` until the block ends; yields the gateway's URL once it is healthy."""
    log_path = Path(env["MARKETPLACE_VAR_DIR"]) / "platform.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "w") as log:
        process = subprocess.Popen([sys.executable, str(ROOT / "manage_all.py"), "up", *up_options], cwd=ROOT, env=env,
                                   stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base_url = f"http://127.0.0.1:{env['MARKETPLACE_GATEWAY_PORT']}"
    try:
        deadline = time.monotonic() + 180
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"platform exited:\n{log_path.read_text()[-3000:]}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{base_url}/healthz", timeout=2).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError(f"platform not healthy:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.5)
        yield base_url
    finally:
        stop_group(process, signal.SIGINT, timeout=30)


def stop_group(process: subprocess.Popen, sig: int = signal.SIGTERM, timeout: float = 30) -> None:
    """Stop a process started in a session of its own, and everything it started; SIGKILL after ``timeout``."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


@contextlib.contextmanager
def running_processes(commands: dict, *, env: dict, log_dir: Path, is_up, what: str, timeout: float = 60):
    """Start ``commands`` (name -> (argv, cwd)), each in a session of its own with its output in
    ``log_dir/<name>.log``; yield {name: pid} once ``is_up()`` is true, stop them all on the way out."""
    log_dir.mkdir(parents=True, exist_ok=True)
    processes: dict[str, subprocess.Popen] = {}
    try:
        for name, (command, cwd) in commands.items():
            with open(log_dir / f"{name}.log", "w") as log:
                processes[name] = subprocess.Popen(command, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT,
                                                   start_new_session=True)
        deadline = time.monotonic() + timeout
        while True:
            for name, process in processes.items():
                if process.poll() is not None:
                    raise RuntimeError(f"{name} exited:\n{(log_dir / f'{name}.log').read_text()[-3000:]}")
            with contextlib.suppress(httpx.HTTPError, OSError):
                if is_up():
                    break
            if time.monotonic() > deadline:
                logs = "\n".join((log_dir / f"{name}.log").read_text()[-1500:] for name in processes)
                raise RuntimeError(f"{what} not up:\n{logs}")
            time.sleep(0.3)
        yield {name: process.pid for name, process in processes.items()}
    finally:
        for process in processes.values():
            stop_group(process)


def database_url(env: dict, name: str) -> str:
    """A psycopg URL for database ``name`` on the configured PostgreSQL server."""
    parts = urlsplit(env["MARKETPLACE_DATABASE_URL"])
    return urlunsplit(("postgresql", parts.netloc, f"/{name}", "", ""))


def recreate_database(env: dict, name: str) -> None:
    """Database ``name``, dropped (connections and all) and created again, empty."""
    with psycopg.connect(database_url(env, "postgres"), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')


def percentile(values, fraction: float) -> float:
    """The ``fraction`` percentile of ``values`` (nearest rank); NaN when there are none."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def verdict(checks: list[tuple[str, bool]]) -> int:
    """Print each target as met or missed, then ``N of M within target``; the bench's exit status."""
    print()
    for text, ok in checks:
        print(f"{'within' if ok else 'MISSED'}: {text}")
    met = sum(ok for _, ok in checks)
    print(f"{met} of {len(checks)} within target")
    return 0 if met == len(checks) else 1
