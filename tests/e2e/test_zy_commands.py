"""manage_all.py's commands against the running platform, run as a person runs them in a second terminal:
no MARKETPLACE_ variable but the var/ folder, so each finds the platform from what `up` recorded.

(Named to run late: `seed` adds demo sellers and gigs that earlier tests' searches must not see.)"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import uuid
from decimal import Decimal


from marketplace_libs.topology import present_services

from .support import ROOT, wait_for

RECORDED = re.compile(r"^platform: the one `manage_all\.py up` runs \(pid \d+, http://127\.0\.0\.1:18080;", re.M)


def second_terminal(platform) -> dict:
    """A new terminal's environment: nothing of the platform's but which var/ folder it is in."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("MARKETPLACE_")}
    env["MARKETPLACE_VAR_DIR"] = platform.env["MARKETPLACE_VAR_DIR"]
    return env


def manage_all(platform, *args: str, extra_env: dict | None = None, timeout: float = 300):
    ran = subprocess.run([sys.executable, str(ROOT / "manage_all.py"), *args], cwd=ROOT, capture_output=True,
                         text=True, timeout=timeout, env={**second_terminal(platform), **(extra_env or {})})
    assert RECORDED.search(ran.stderr), ran.stderr[-2000:]
    return ran


def test_up_prints_a_line_a_person_reads_per_request_and_no_polls(platform, gateway, session):
    mine = uuid.uuid4().hex
    assert gateway.get("/api/users/me", headers={**session.auth(), "X-Request-ID": mine}).status_code == 200

    def request_lines():
        return [line for line in platform.console_path.read_text().splitlines() if f"rid={mine}" in line]

    def by_process():
        found = {line.split()[1]: line.split("| ", 1)[1] for line in request_lines()}
        return found if {"nginx", "users"} <= set(found) else None

    lines = wait_for(by_process, timeout=10, what="nginx's line (written after the response)")
    for process in ("nginx", "users"):
        assert re.fullmatch(rf"GET /api/users/me 200 \d+ ms user={session.id} rid={mine}", lines[process])
    console = platform.console_path.read_text()
    assert "/readyz" not in console and "GET /healthz" not in console  # polled by the suite's start and `status`
    shown = [line.split("| ", 1)[1] for line in console.splitlines() if "| " in line]
    # The JSON is in var/log/platform.log only (a line nginx could not write as valid JSON, a fuzzed URL's
    # bytes, is shown as it came).
    assert not [line for line in shown if _json_object(line)]
    assert "/readyz" in platform.log_path.read_text()


def _json_object(line: str) -> bool:
    try:
        return isinstance(json.loads(line), dict)
    except ValueError:
        return False


def test_status_in_a_second_terminal_reports_the_running_platform(platform):
    status = manage_all(platform, "status")
    assert status.returncode == 0, status.stdout + status.stderr
    for line in status.stdout.splitlines()[1:8]:
        assert re.match(r"^\w+\s+127\.0\.0\.1:181\d\d\s+ready ", line), line
    assert "gateway http://127.0.0.1:18080: ok" in status.stdout
    assert "database postgres" in status.stderr and "no such table" not in status.stdout


def test_migrate_applies_nothing_to_the_running_platforms_databases(platform):
    migrated = manage_all(platform, "migrate")
    assert migrated.returncode == 0, migrated.stdout[-3000:] + migrated.stderr[-3000:]
    assert migrated.stdout.count("No migrations to apply.") == len(present_services()), migrated.stdout[-3000:]
    assert "created database" not in migrated.stdout


def test_shell_and_run_work_on_the_running_platforms_database(platform):
    shell = manage_all(platform, "shell", "auth", "-c",
                       "from django.db import connection; print(connection.settings_dict['NAME'])")
    assert shell.returncode == 0, shell.stderr
    assert "e2e_marketplace_auth" in shell.stdout.splitlines()  # (after Django's "objects imported" note)
    shown = manage_all(platform, "run", "gigs", "showmigrations", "catalog")
    assert shown.returncode == 0, shown.stderr
    assert "[X] 0001_initial" in shown.stdout and "[ ]" not in shown.stdout


def test_createsuperuser_makes_a_staff_account_the_other_services_hear_of(platform, gateway):
    tag = uuid.uuid4().hex[:10]
    email, username, password = f"boss-{tag}@example.com", f"boss_{tag}", f"staff passphrase {tag}"
    made = manage_all(platform, "createsuperuser", "--noinput", "--email", email, "--username", username,
                      extra_env={"DJANGO_SUPERUSER_PASSWORD": password})
    assert made.returncode == 0, made.stdout + made.stderr
    login = gateway.post("/api/auth/login", json={"email": email, "password": password})
    assert login.status_code == 200, login.text
    me = gateway.get("/api/auth/me", headers={"Authorization": f"Bearer {login.json()['access']}"}).json()
    assert me["username"] == username and "staff" in me["roles"]
    # user.registered reached the user service, which made the account's public profile.
    wait_for(lambda: gateway.get(f"/api/users/{username}").status_code == 200, timeout=30,
             what="the user service's profile of the new staff account")


def test_seed_goes_through_the_platform_and_adds_nothing_the_second_time(platform, gateway):
    first = manage_all(platform, "seed", timeout=600)
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    second = manage_all(platform, "seed", timeout=600)
    assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-3000:]
    assert "buyer  alice          already has orders" in second.stdout
    gigs = gateway.get("/api/gigs/", params={"seller": "sofia_designs", "page_size": 100}).json()
    assert gigs["count"] == 2
    alice = gateway.post("/api/auth/login", json={"email": "alice@demo.marketplace.local",
                                                   "password": "demo passphrase 2026"}).json()
    orders = gateway.get("/api/orders/", params={"role": "buyer"},
                         headers={"Authorization": f"Bearer {alice['access']}"}).json()
    assert orders["count"] == 4
    # The seller profile came through the user service's API, its role back through the events.
    assert gateway.get("/api/users/sofia_designs").json()["display_name"] == "Sofia Marin"
    # Reviews are double-blind: the sellers reviewed their buyers too, so the demo reviews are published.
    wait_for(lambda: gateway.get("/api/users/alice").json()["buyer_stats"]["rating_count"] == 1,
             what="the seller's review of alice to be published and counted")
    assert gateway.get("/api/reviews/", params={"seller_id": gateway.get("/api/users/sofia_designs").json()["id"]}
                       ).json()["count"] >= 1
    # Money: the first seller's earnings cleared and part of them paid out (once, the second run too).
    sofia = gateway.post("/api/auth/login", json={"email": "sofia@demo.marketplace.local",
                                                   "password": "demo passphrase 2026"}).json()
    as_sofia = {"Authorization": f"Bearer {sofia['access']}"}
    [payout] = gateway.get("/api/payments/payouts", headers=as_sofia).json()["results"]
    assert payout["amount"] == "20.00"
    [usd] = gateway.get("/api/payments/balance", headers=as_sofia).json()["balances"]
    assert Decimal(usd["lifetime_earnings"]) > Decimal(usd["available"]) > 0


def test_events_status_reads_the_running_platforms_outboxes_and_queues(platform):
    shown = manage_all(platform, "events", "status")
    for service in ("auth", "users", "gigs", "orders", "reviews", "chat", "notifications", "payments"):
        assert re.search(rf"^{service}\s", shown.stdout, re.M), shown.stdout
    assert "no such table" not in shown.stdout + shown.stderr
