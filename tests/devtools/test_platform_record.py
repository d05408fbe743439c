"""What `up` records under var/run/, and how the other commands, in a shell without its exports, find
the platform it runs."""

import json
import os
import stat

from conftest import manage_all

from devtools import platform_record

UP_ENV = {
    "MARKETPLACE_DATABASE_URL": "postgres://marketplace:s3cret-pass@127.0.0.1:5432",
    "MARKETPLACE_BROKER_URL": "amqp://guest:guest@127.0.0.1:5672/marketplace-dev",
    "MARKETPLACE_REDIS_URL": "redis://127.0.0.1:6379/0",
    "MARKETPLACE_PAYMENT_WEBHOOK_SECRET": "whsec_live_abc",
    "MARKETPLACE_GATEWAY_PORT": "28080",
    "MARKETPLACE_PORT_BASE": "28100",
    "HOME": "/root",
}


def _record(tmp_path, pid: int) -> dict:
    env = {**UP_ENV, "MARKETPLACE_VAR_DIR": str(tmp_path)}
    platform_record.write(env, pid=pid, gateway_url="http://127.0.0.1:28080")
    return env


def test_the_shown_record_holds_no_secret_and_the_secrets_are_its_owners_only(tmp_path):
    _record(tmp_path, os.getpid())
    shown = (tmp_path / "run" / "platform.json").read_text()
    for secret in ("s3cret-pass", "guest:guest", "whsec_live_abc"):
        assert secret not in shown
    variables = json.loads(shown)["variables"]
    assert variables["MARKETPLACE_DATABASE_URL"] == "postgres://marketplace:***@127.0.0.1:5432"
    assert variables["MARKETPLACE_PAYMENT_WEBHOOK_SECRET"] == "***" and "HOME" not in variables
    secrets = tmp_path / "run" / "platform-secrets.json"
    assert stat.S_IMODE(secrets.stat().st_mode) == 0o600
    assert json.loads(secrets.read_text())["MARKETPLACE_DATABASE_URL"] == UP_ENV["MARKETPLACE_DATABASE_URL"]


def test_a_shell_that_names_no_platform_adopts_the_running_one(tmp_path):
    _record(tmp_path, os.getpid())
    env, which = platform_record.adopt({"MARKETPLACE_VAR_DIR": str(tmp_path), "MARKETPLACE_LOG_LEVEL": "DEBUG"})
    assert {name: env[name] for name in UP_ENV if name != "HOME"} == {
        name: value for name, value in UP_ENV.items() if name != "HOME"}
    assert env["MARKETPLACE_LOG_LEVEL"] == "DEBUG"
    assert f"pid {os.getpid()}" in which and "postgres://marketplace:***@" in which and "s3cret" not in which


def test_a_shell_that_names_a_platform_keeps_its_own(tmp_path):
    _record(tmp_path, os.getpid())
    own = {"MARKETPLACE_VAR_DIR": str(tmp_path), "MARKETPLACE_DATABASE_URL": "postgres://postgres@127.0.0.1:5432"}
    env, which = platform_record.adopt(own)
    assert env == own and which.startswith("platform: this shell's environment")


def test_a_record_whose_up_has_gone_is_not_used(tmp_path):
    _record(tmp_path, 2 ** 22 + 1)  # above Linux's pid_max: no such process
    env, which = platform_record.adopt({"MARKETPLACE_VAR_DIR": str(tmp_path)})
    assert env == {"MARKETPLACE_VAR_DIR": str(tmp_path)} and "no `manage_all.py up` is running" in which


def test_status_in_a_shell_without_exports_asks_the_recorded_platform(tmp_path):
    _record(tmp_path, os.getpid())  # nothing listens on its ports: every service is reported down there
    shell = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/root"),
             "MARKETPLACE_VAR_DIR": str(tmp_path)}
    status = manage_all("status", env=shell, timeout=120)
    assert status.returncode == 1, status.stdout + status.stderr
    assert f"platform: the one `manage_all.py up` runs (pid {os.getpid()}, http://127.0.0.1:28080" in status.stderr
    assert "127.0.0.1:28101" in status.stdout and "down" in status.stdout
    assert "no such table" not in status.stdout + status.stderr
