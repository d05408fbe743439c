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
