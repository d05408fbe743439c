"""Where a benchmark's CPU goes: process ticks from /proc, process groups, the machine's busy time,
and the PostgreSQL backends serving some databases."""

from __future__ import annotations

import contextlib
import os
import threading
from pathlib import Path

import psycopg

TICKS = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str] | None:
    # The fields after the command name, which may itself hold spaces and parentheses.
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return None


def process_ticks(pid: int) -> int:
    """CPU ticks (user + system) the process has used; 0 once it is gone."""
    fields = _stat(pid)
    return int(fields[11]) + int(fields[12]) if fields else 0


def process_group(pgid: int) -> list[int]:
    """The pids of a process group (a server and the workers it forked)."""
    return [int(entry.name) for entry in Path("/proc").iterdir()
            if entry.name.isdigit() and (fields := _stat(int(entry.name))) and int(fields[2]) == pgid]


def group_ticks(pgid: int) -> int:
    return sum(process_ticks(pid) for pid in process_group(pgid))


def processes_named(command: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if (entry / "comm").read_text().strip() == command:
                    found.append(int(entry.name))
    return found


def machine_busy_ticks() -> int:
    fields = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return sum(fields) - fields[3] - fields[4]  # all but idle and iowait


class BackendSampler:
    """CPU seconds of the PostgreSQL backends serving ``databases`` (one name or several) between start()
    and stop(), leaving out the sampler's own connection and those named ``excluded_application`` (a
    bench's other queries of its own).

    Backends come and go (CONN_MAX_AGE recycles connections every minute): they are sampled every
    ``interval`` seconds, and one that ended counts with its last sample."""

    def __init__(self, url: str, databases: str | list[str], *, excluded_application: str | None = None,
                 interval: float = 0.5):
        self.url, self.interval, self.excluded = url, interval, excluded_application
        self.databases = [databases] if isinstance(databases, str) else list(databases)
        self.backends: dict[int, tuple[int, int]] = {}  # pid -> (ticks first seen, ticks last seen)
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        with psycopg.connect(self.url, autocommit=True) as connection:
            while True:
                for (pid,) in connection.execute(
                        "SELECT pid FROM pg_stat_activity WHERE datname = ANY(%s) AND pid <> pg_backend_pid() "
                        "AND application_name IS DISTINCT FROM %s", [self.databases, self.excluded]).fetchall():
                    ticks = process_ticks(pid)
                    if ticks:
                        self.backends[pid] = (self.backends.get(pid, (ticks, ticks))[0], ticks)
                if self.stopped.wait(self.interval):
                    return

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> float:
        self.stopped.set()
        self.thread.join()
        return sum(last - first for first, last in self.backends.values()) / TICKS
