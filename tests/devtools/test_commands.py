"""The commands of manage_all.py that need no running platform (the others: tests/e2e/test_zy_commands.py)."""

import importlib.util
import os
import subprocess

import pytest
from conftest import REPO, manage_all

COMMANDS = ("up", "migrate", "makemigrations", "check", "test", "seed", "createsuperuser", "status", "logs",
            "shell", "run", "events", "bench")


def _shell() -> dict:
    """A terminal's environment: no MARKETPLACE_ variable, no virtualenv active."""
    return {name: value for name, value in os.environ.items()
            if not name.startswith("MARKETPLACE_") and name not in ("VIRTUAL_ENV", "PYTHONPATH")}


def test_help_lists_every_command():
    shown = manage_all("--help", env=_shell())
    assert shown.returncode == 0
    for command in COMMANDS:
        assert f"    {command} " in shown.stdout or f"    {command}\n" in shown.stdout, command


def test_makemigrations_finds_nothing_to_write_for_models_match_their_migrations():
    made = manage_all("makemigrations", "reviews", "gigs", env=_shell())
    assert made.returncode == 0, made.stderr
    assert made.stdout.count("No changes detected") == 2
    untracked = subprocess.run(["git", "status", "--porcelain", "--", "projects"], cwd=REPO,
                               capture_output=True, text=True).stdout
    assert "migrations/" not in untracked


def test_makemigrations_of_an_unknown_service_names_the_known_ones():
    made = manage_all("makemigrations", "payroll", env=_shell())
    assert made.returncode == 1 and "unknown service 'payroll'; known: auth, users" in made.stderr


def test_check_passes_on_the_repository():
    checked = manage_all("check", env=_shell(), timeout=600)
    assert checked.returncode == 0, checked.stdout[-3000:] + checked.stderr[-3000:]
    assert checked.stdout.count("System check identified no issues") >= 8  # seven services and the gateway
    assert "nginx configuration ok" in checked.stdout


def test_test_refuses_an_unknown_suite_and_names_them_all():
    ran = manage_all("test", "nonsense", env=_shell())
    assert ran.returncode == 2
    assert "unknown test target(s) nonsense" in ran.stdout and "devtools" in ran.stdout and "e2e" in ran.stdout


def test_test_sets_up_the_servers_then_runs_a_suite_and_counts_it():
    ran = manage_all("test", "deploy", "--pytest-args", "-k platform_log", env=_shell())
    assert ran.returncode == 0, ran.stdout[-3000:]
    assert "servers: database postgres" in ran.stdout
    assert "tests: 2 passed, 0 failed" in ran.stdout


def _manage_all_module():
    spec = importlib.util.spec_from_file_location("manage_all_under_test", REPO / "manage_all.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_failed_virtualenv_leaves_nothing_the_next_run_would_trust(tmp_path, monkeypatch):
    module = _manage_all_module()
    monkeypatch.setattr(module, "VENV", tmp_path / ".venv")
    monkeypatch.setattr(module.os, "geteuid", lambda: 1000)

    def venv_without_pip(command, **kwargs):  # what Debian's python3 does without python3-venv
        (tmp_path / ".venv" / "bin").mkdir(parents=True)
        (tmp_path / ".venv" / "bin" / "python").touch()
        return subprocess.CompletedProcess(command, 1)

    monkeypatch.setattr(module.subprocess, "run", venv_without_pip)
    with pytest.raises(SystemExit) as stopped:
        module._create_venv()
    assert "sudo apt-get install -y -qq python3." in str(stopped.value)
    assert not (tmp_path / ".venv").exists()
