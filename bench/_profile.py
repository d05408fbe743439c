"""py-spy over a bench's processes for a while, and what its samples say (bench/*_cost.py --profile)."""

from __future__ import annotations

import collections
import shutil
import subprocess
from pathlib import Path


def start(pids: dict[str, int], seconds: float, out_dir: Path) -> list[subprocess.Popen]:
    """Sample each process (100 Hz, idle threads left out) for ``seconds``; raw collapsed stacks in out_dir/<name>.txt."""
    binary = shutil.which("py-spy") or str(Path(__import__("sys").executable).parent / "py-spy")
    out_dir.mkdir(parents=True, exist_ok=True)
    return [subprocess.Popen([binary, "record", "--pid", str(pid), "--duration", str(max(1, int(seconds))),
                              "--rate", "100", "--format", "raw", "--nonblocking", "--output", str(out_dir / f"{name}.txt")],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for name, pid in pids.items()]


def finish(samplers: list[subprocess.Popen]) -> None:
    for sampler in samplers:
        sampler.wait(timeout=120)


def summary(path: Path, top: int = 15) -> str:
    """The functions most samples were in (inclusive), with the share of the process's busy samples."""
    inclusive: collections.Counter = collections.Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack:
            continue
        total += int(count)
        seen = set()
        for frame in stack.split(";"):
            name = frame.split(" (", 1)[0] + " (" + frame.split(" (", 1)[1].split(":")[0].rsplit("/", 1)[-1] + ")" \
                if " (" in frame else frame
            if name not in seen:
                seen.add(name)
                inclusive[name] += int(count)
    lines = [f"{path.stem}: {total} samples"]
    lines += [f"  {100 * count / max(1, total):5.1f}%  {name}" for name, count in inclusive.most_common(top)]
    return "\n".join(lines)


# What wakes a process and how often: scheduler and system-call counters (perf stat), per thread.
COUNTERS = ("task-clock", "context-switches", "raw_syscalls:sys_enter", "syscalls:sys_enter_epoll_wait",
            "syscalls:sys_enter_futex", "syscalls:sys_enter_sendto", "syscalls:sys_enter_recvfrom",
            "syscalls:sys_enter_poll", "syscalls:sys_enter_write", "syscalls:sys_enter_read")


def start_counting(pids: dict[str, int], seconds: float, out_dir: Path) -> list[subprocess.Popen]:
    """perf stat over each process's threads for ``seconds`` (counting only: no sampling, little cost);
    CSV in out_dir/<name>.perf."""
    out_dir.mkdir(parents=True, exist_ok=True)
    return [subprocess.Popen(["perf", "stat", "-x,", "--per-thread", "-e", ",".join(COUNTERS), "-p", str(pid),
                              "-o", str(out_dir / f"{name}.perf"), "--", "sleep", str(seconds)],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for name, pid in pids.items()]


def counted(path: Path, pid: int, messages: int) -> str:
    """Per message: each counter of the event loop's thread (the process's first) and of all its other threads."""
    totals: dict[tuple[str, str], float] = collections.Counter()
    for line in path.read_text().splitlines():
        fields = line.split(",")
        if len(fields) < 4 or not fields[1].replace(".", "", 1).isdigit():
            continue
        thread = "loop" if fields[0].rsplit("-", 1)[-1] == str(pid) else "others"
        totals[(thread, _short_counter(fields[3]))] += float(fields[1])
    names = [_short_counter(name) for name in COUNTERS]
    rows = [f"{path.stem}, per message ({messages}):", "  thread  " + " ".join(f"{name[:14]:>14}" for name in names)]
    for thread in ("loop", "others"):
        rows.append(f"  {thread:<7} " + " ".join(f"{totals[(thread, name)] / max(1, messages):14.3f}" for name in names))
    return "\n".join(rows)


def _short_counter(event: str) -> str:
    """``syscalls:sys_enter_futex`` -> ``futex``; ``context-switches`` as it is."""
    return event.rsplit(":", 1)[-1].removeprefix("sys_enter_")
