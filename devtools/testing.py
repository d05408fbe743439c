"""`manage_all.py test`: every suite on the real servers, one pytest run per suite.

First the servers: installed, started and given a PostgreSQL role as needed (devtools/servers.py).
Each service is its own Django project with its own settings, so each gets its
own pytest process; the end-to-end suite starts the whole platform once
(tests/e2e/conftest.py) and drives it through nginx.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ElementTree
from pathlib import Path

from marketplace_libs.topology import REPO_ROOT, present_services

from . import environment, servers


# The embedded default (nothing configured: SQLite, in-memory channel layer and caches): what `up`
# runs on a machine with no servers.
EMBEDDED = {"MARKETPLACE_DATABASE_URL": "", "MARKETPLACE_REDIS_URL": "", "MARKETPLACE_BROKER_URL": ""}


def suites() -> dict[str, tuple[Path, list[str], dict[str, str]]]:
    """name -> (directory, pytest paths, environment overrides)."""
    found = {
        "libs": (REPO_ROOT / "libs", ["tests"], {}),
        "gateway": (REPO_ROOT / "gateway", ["edge/tests"], {}),
    }
    for spec in present_services():
        found[spec.name] = (spec.project_dir, ["."], {})
    # The statements written in SQL rather than through the ORM (the outbox insert, the inbox, the chat
    # send) run on SQLite as well: their suites again, on the embedded default. Tests of row locks between
    # concurrent connections (marked needs_postgresql) are left out: SQLite locks the whole database.
    found["libs-embedded"] = (REPO_ROOT / "libs", ["tests", "-m", "not needs_postgresql"], EMBEDDED)
    found["chat-embedded"] = (REPO_ROOT / "projects" / "chat", ["."], EMBEDDED)
    found["events"] = (REPO_ROOT / "tests" / "events", ["."], {})
    # The deployment files (compose/), checked offline against their schemas and `up` (seconds).
    found["deploy"] = (REPO_ROOT / "tests" / "deploy", ["."], {})
    # manage_all.py's own set-up and the commands that need no running platform.
    found["devtools"] = (REPO_ROOT / "tests" / "devtools", ["."], {})
    found["e2e"] = (REPO_ROOT, ["tests/e2e"], {})
    return found


def _counts(report: Path) -> tuple[int, int, int]:
    """(passed, failed, skipped) from a JUnit XML report."""
    if not report.exists():
        return 0, 0, 0
    root = ElementTree.parse(report).getroot()
    passed = failed = skipped = 0
    for suite in root.iter("testsuite"):
        tests = int(suite.get("tests", 0))
        bad = int(suite.get("failures", 0)) + int(suite.get("errors", 0))
        skip = int(suite.get("skipped", 0))
        failed += bad
        skipped += skip
        passed += tests - bad - skip
    return passed, failed, skipped


def run(targets: list[str], *, pytest_args: str = "") -> int:
    available = suites()
    unknown = [target for target in targets if target not in available]
    if unknown:
        print(f"unknown test target(s) {', '.join(unknown)}; choose from {', '.join(available)}")
        return 2
    configured = {name for name in environment.LOCAL_SERVERS if os.environ.get(name)}
    end_to_end = not targets or "e2e" in targets
    env = servers.prepare(environment.test_environment(), configured=configured, var_dir=REPO_ROOT / "var",
                          need_nginx=end_to_end, stripe_for=environment.e2e_environment() if end_to_end else None)
    print("servers: " + ", ".join(f"{name.removeprefix('MARKETPLACE_').removesuffix('_URL').lower()} "
                                  f"{servers.redact_url(env[name])}" for name in environment.LOCAL_SERVERS), flush=True)
    totals = [0, 0, 0]
    failed_suites = []
    with tempfile.TemporaryDirectory() as reports:
        for name in targets or list(available):
            directory, paths, overrides = available[name]
            report = Path(reports) / f"{name}.xml"
            print(f"\n===== {name} =====", flush=True)
            command = [sys.executable, "-m", "pytest", *paths, f"--junitxml={report}", *shlex.split(pytest_args)]
            suite_env = {**env, **overrides}
            if overrides:
                # Its own SQLite files and caches, not a developer's platform's.
                suite_env["MARKETPLACE_VAR_DIR"] = str(Path(reports) / f"{name}-var")
            code = subprocess.run(command, cwd=directory, env=suite_env).returncode
            counts = _counts(report)
            totals = [total + count for total, count in zip(totals, counts)]
            if code != 0 or counts[0] == 0:
                failed_suites.append(name)
    passed, failed, skipped = totals
    print()
    if failed_suites:
        print(f"failing suites: {', '.join(failed_suites)}")
    print(f"tests: {passed} passed, {failed} failed" + (f", {skipped} skipped" if skipped else ""))
    return 1 if failed_suites or failed else 0
