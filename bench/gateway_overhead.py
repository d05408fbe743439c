#!/usr/bin/env python3
"""What the gateway costs: authenticated GET /api/auth/me, 32 concurrent clients, through nginx
(token verified at the edge, then again by the service) versus straight to the auth service.

    .venv/bin/python bench/gateway_overhead.py [--seconds 15] [--rounds 5]

Starts its own copy of the platform on the real servers, loads it with wrk (installed with
apt-get when missing and run as root), alternates direct and gateway rounds so that both see the
same machine, and reports the median round of each. Targets (issue 2): gateway throughput at least
0.85 of direct, gateway p50 latency at most 1.15 of direct.
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import subprocess
import uuid

import httpx

from _platform import bench_environment, running_platform

CONNECTIONS = 32


def ensure_wrk() -> str:
    binary = shutil.which("wrk")
    if binary:
        return binary
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True, capture_output=True)
    return shutil.which("wrk") or "/usr/bin/wrk"


def _to_ms(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", value).groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def run_wrk(wrk: str, url: str, token: str, seconds: int) -> dict:
    output = subprocess.run(
        [wrk, "-t2", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency", "-H", f"Authorization: Bearer {token}", url],
        check=True, capture_output=True, text=True).stdout
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if non_2xx:
        raise SystemExit(f"{non_2xx.group(1)} requests failed against {url}:\n{output}")
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "p50": _to_ms(re.search(r"\s50%\s+(\S+)", output).group(1)),
        "p99": _to_ms(re.search(r"\s99%\s+(\S+)", output).group(1)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    # Shorter runs on this 2-core machine swing by +-5% from run to run: five 15 s rounds per route.
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    wrk = ensure_wrk()
    env = bench_environment()
    with running_platform(env) as gateway_url:
        tag = uuid.uuid4().hex[:8]
        credentials = {"email": f"bench-{tag}@example.com", "username": f"bench_{tag}", "password": "bench passphrase 1234"}
        httpx.post(f"{gateway_url}/api/auth/register", json=credentials).raise_for_status()
        login = {"email": credentials["email"], "password": credentials["password"]}
        token = httpx.post(f"{gateway_url}/api/auth/login", json=login).json()["access"]
        direct_url = f"http://127.0.0.1:{int(env['MARKETPLACE_PORT_BASE']) + 1}/api/auth/me"
        routes = {"direct": direct_url, "gateway": f"{gateway_url}/api/auth/me"}
        run_wrk(wrk, routes["gateway"], token, 3)  # warm-up: connections, caches, JIT-less Python imports
        results: dict[str, list[dict]] = {"direct": [], "gateway": []}
        for _ in range(args.rounds):
            for name, url in routes.items():
                results[name].append(run_wrk(wrk, url, token, args.seconds))
    median = {name: {key: statistics.median(r[key] for r in runs) for key in ("rps", "p50", "p99")}
              for name, runs in results.items()}
    throughput_ratio = median["gateway"]["rps"] / median["direct"]["rps"]
    latency_ratio = median["gateway"]["p50"] / median["direct"]["p50"]
    print(f"\nGET /api/auth/me, {CONNECTIONS} connections, {args.rounds} rounds of {args.seconds}s each (medians)")
    print("| route | requests/s | p50 ms | p99 ms |\n|---|---|---|---|")
    for name in ("direct", "gateway"):
        m = median[name]
        print(f"| {name} | {m['rps']:.0f} | {m['p50']:.2f} | {m['p99']:.2f} |")
    print(f"\nthroughput gateway/direct = {throughput_ratio:.3f} (target >= 0.85)")
    print(f"p50 latency gateway/direct = {latency_ratio:.3f} (target <= 1.15)")
    met = throughput_ratio >= 0.85 and latency_ratio <= 1.15
    print("targets met" if met else "TARGETS MISSED")
    raise SystemExit(0 if met else 1)


if __name__ == "__main__":
    main()
