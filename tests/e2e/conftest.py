"""Starts the whole platform once for the end-to-end suite, exactly as `manage_all.py up` does,
on its own ports, databases and Redis database (devtools.environment.E2E_OVERRIDES)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import redis

from devtools.environment import e2e_environment, isolated_broker

from .support import Platform

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_SECONDS = 180


def _wait_until_healthy(platform: Platform, process: subprocess.Popen, log_path: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    last = "no answer"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the platform exited with {process.returncode}:\n{log_path.read_text()[-5000:]}")
        try:
            response = httpx.get(f"{platform.base_url}/healthz", timeout=3)
            if response.status_code == 200:
                return
            last = response.text
        except httpx.HTTPError as error:
            last = repr(error)
        time.sleep(0.5)
    raise RuntimeError(f"the platform did not become healthy: {last}\n{log_path.read_text()[-5000:]}")


@pytest.fixture(scope="session")
def smtp_server():
    """A real SMTP server (aiosmtpd) the platform sends its emails to."""
    from aiosmtpd.controller import Controller

    from .support import MailCatcher, free_port

    catcher = MailCatcher()
    controller = Controller(catcher, hostname="127.0.0.1", port=free_port())
    controller.start()
    catcher.port = controller.port
    yield catcher
    controller.stop()


@pytest.fixture(scope="session")
def platform(smtp_server):
    # Its own empty vhost: the queues of earlier runs (and of the events suite's producers) stay out.
    env = isolated_broker(e2e_environment(), "marketplace-e2e")
    env["MARKETPLACE_EMAIL_URL"] = f"smtp://127.0.0.1:{smtp_server.port}"
    # Counters of earlier runs (throttles, revocations) must not leak into this one.
    redis.Redis.from_url(env["MARKETPLACE_REDIS_URL"]).flushdb()
    var_dir = Path(env["MARKETPLACE_VAR_DIR"])
    var_dir.mkdir(parents=True, exist_ok=True)
    console_path = var_dir / "console.log"
    with open(console_path, "w") as console:
        process = subprocess.Popen(
            [sys.executable, str(ROOT / "manage_all.py"), "up"],
            cwd=ROOT, env=env, stdout=console, stderr=subprocess.STDOUT, start_new_session=True,
        )
    platform = Platform(base_url=f"http://127.0.0.1:{env['MARKETPLACE_GATEWAY_PORT']}", env=env,
                        log_path=var_dir / "log" / "platform.log", console_path=console_path, mail=smtp_server)
    try:
        _wait_until_healthy(platform, process, console_path)
        yield platform
    finally:
        _stop(process)


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGINT)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


@pytest.fixture
def gateway(platform):
    with httpx.Client(base_url=platform.base_url, timeout=10) as client:
        yield client


@pytest.fixture
def new_user(platform, gateway):
    """A freshly registered user (``.email``, ``.password``, ``.id``, ``.username``) who followed the
    link of the verification email."""
    return platform.register(gateway)


@pytest.fixture
def unverified_user(platform, gateway):
    """A freshly registered user who has not followed the verification link."""
    return platform.register(gateway, verified=False)


@pytest.fixture
def session(platform, gateway, new_user):
    """A logged-in user: the user plus ``.access`` and ``.refresh``."""
    return platform.log_in(gateway, new_user)
