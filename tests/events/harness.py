"""Runs copies of the probe service (probe_project/) as separate services: their outbox relays and
Celery workers as real processes on the real broker, for the event tests and bench/events.py."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import psycopg

ROOT = Path(__file__).resolve().parents[2]
PROBE_DIR = Path(__file__).resolve().parent / "probe_project"
sys.path[:0] = [str(ROOT), str(PROBE_DIR)]

from devtools.environment import isolated_broker, test_environment  # noqa: E402


def events_environment(*, name: str = "events", redis_db: int = 4, broker: bool = True) -> dict:
    env = test_environment()
    redis = urlsplit(env["MARKETPLACE_REDIS_URL"])
    env.update({
        "MARKETPLACE_DATABASE_PREFIX": f"{name}_marketplace_",
        "MARKETPLACE_VAR_DIR": str(ROOT / "var" / name),
        "MARKETPLACE_REDIS_URL": f"{redis.scheme}://{redis.netloc}/{redis_db}",
        "PYTHONUNBUFFERED": "1",
    })
    if not broker:
        env.pop("MARKETPLACE_BROKER_URL", None)
        return env
    # A vhost of its own: the probe producers publish user.registered, which the platform's own
    # (durable) queues on "/" would otherwise receive.
    return isolated_broker(env, f"marketplace-{name}")


class Fleet:
    def __init__(self, env: dict):
        self.env = env
        self.processes: dict[str, subprocess.Popen] = {}
        self.log_dir = Path(env["MARKETPLACE_VAR_DIR"]) / "logs"
        self.log_dir.mkdir(parents=True, exist_ok=True)
        for old in self.log_dir.glob("*.log"):
            old.unlink()

    def _env_for(self, service: str, **extra: str) -> dict:
        # The producer copies publish only; the others subscribe.
        subscribes = "0" if service.endswith("producer") else "1"
        return {**self.env, "PROBE_SERVICE": service, "PROBE_SUBSCRIBES": subscribes, **extra}

    def database_url(self, service: str) -> str:
        server = self.env["MARKETPLACE_DATABASE_URL"].replace("postgres://", "postgresql://", 1).rstrip("/")
        return f"{server}/{self.env['MARKETPLACE_DATABASE_PREFIX']}{service}"

    def migrate(self, *services: str) -> None:
        server = self.env["MARKETPLACE_DATABASE_URL"].replace("postgres://", "postgresql://", 1).rstrip("/")
        with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
            for service in services:
                name = f"{self.env['MARKETPLACE_DATABASE_PREFIX']}{service}"
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                admin.execute(f'CREATE DATABASE "{name}"')
        for service in services:
            for command in (["migrate", "-v0"], ["declare_event_topology"]):
                subprocess.run([sys.executable, "manage.py", *command], cwd=PROBE_DIR,
                               env=self._env_for(service), check=True, capture_output=True)

    def _start(self, key: str, command: list[str], service: str, **extra: str) -> subprocess.Popen:
        log = open(self.log_dir / f"{key}.log", "a")  # appended: a restarted process keeps its history
        process = subprocess.Popen(command, cwd=PROBE_DIR, env=self._env_for(service, **extra), stdout=log,
                                   stderr=subprocess.STDOUT, start_new_session=True)
        self.processes[key] = process
        return process

    def start_worker(self, service: str, *, concurrency: int = 2, pool: str = "threads", key: str | None = None,
                     **extra: str) -> subprocess.Popen:
        return self._start(key or f"{service}-worker", [
            str(Path(sys.executable).parent / "celery"), "-A", "probe_project.celery", "worker",
            "--loglevel", "INFO", "--pool", pool, "--concurrency", str(concurrency),
            "--without-heartbeat", "--without-gossip", "--without-mingle", "-n", f"{key or service}@%h",
        ], service, **extra)

    def start_relay(self, service: str, **extra: str) -> subprocess.Popen:
        return self._start(f"{service}-relay", [sys.executable, "manage.py", "run_outbox_relay"], service, **extra)

    def stop(self, key: str, *, sig: int = signal.SIGTERM, timeout: float = 20) -> None:
        process = self.processes.pop(key, None)
        if process is None or process.poll() is not None:
            return
        os.killpg(process.pid, sig)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()

    def kill(self, key: str) -> None:
        """SIGKILL the whole process group: no goodbye, no acks, no cleanup."""
        self.stop(key, sig=signal.SIGKILL)

    def stop_all(self) -> None:
        for key in list(self.processes):
            self.stop(key)

    def query(self, service: str, sql: str, params=()) -> list[tuple]:
        with psycopg.connect(self.database_url(service), autocommit=True) as connection:
            return connection.execute(sql, params).fetchall()

    def received_counts(self, service: str, event_ids: list[str]) -> dict[str, int]:
        rows = self.query(service, "SELECT event_id::text, count(*) FROM probe_received "
                                   "WHERE event_id = ANY(%s::uuid[]) GROUP BY event_id", [event_ids])
        return dict(rows)

    def log_lines(self, key: str, message: str) -> list[dict]:
        """The JSON lines (flattened: ``trace.id``...) that process ``key`` wrote with ``message``, so far.
        A worker writes its INFO lines in batches (decision 77): poll with :meth:`wait_for`."""
        from marketplace_libs.logging_setup import flatten

        text = (self.log_dir / f"{key}.log").read_text()
        records = (flatten(json.loads(line)) for line in text.splitlines() if f'"{message}"' in line)
        return [record for record in records if record.get("message") == message]

    def wait_for(self, condition, *, timeout: float = 30, interval: float = 0.1, what: str = "condition"):
        deadline = time.monotonic() + timeout
        while True:
            value = condition()
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout}s waiting for {what}")
            time.sleep(interval)

    def count_received(self, service: str, username_prefix: str) -> int:
        return self.query(service, "SELECT count(*) FROM probe_received WHERE username LIKE %s",
                          [f"{username_prefix}\\_%"])[0][0]

    def wait_until_counted(self, services: list[str], username_prefix: str, count: int, *, timeout: float = 600) -> None:
        """Cheaper than wait_until_received for big batches: counts rows by the events' name prefix."""
        self.wait_for(lambda: all(self.count_received(service, username_prefix) >= count for service in services),
                      timeout=timeout, interval=0.25, what=f"{count} '{username_prefix}' events")

    def wait_until_received(self, services: list[str], event_ids: list[str], *, timeout: float = 60) -> None:
        def all_there():
            return all(len(self.received_counts(service, event_ids)) == len(event_ids) for service in services)

        self.wait_for(all_there, timeout=timeout, what=f"{len(event_ids)} events at {', '.join(services)}")
