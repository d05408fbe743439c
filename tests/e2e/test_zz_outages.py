"""Each server the platform depends on stopped in turn under the running platform: the answers while it is
down (503 problem+json with Retry-After, never an HTML page or a 500; revocation fails closed; public reads
that do not need it keep working) and the recovery once it is back.

The servers are the machine's own, shared with every suite: this runs under the test runner's
/tmp/marketplace-tests.lock like every suite, and always starts again what it stopped, even when an
assertion fails. Named test_zz_ so it runs last in the e2e suite.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import time

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from .support import PROBLEM, wait_for

pytestmark = pytest.mark.timeout(300)


def _pg_cluster(action: str, *extra: str) -> list[str]:
    version = sorted(os.listdir("/etc/postgresql"))[-1]
    return ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", action, *extra]


# name -> (stop, start, port): the start commands are those of docs/running.md.
SERVERS = {
    "postgresql": (_pg_cluster("stop", "-m", "fast"), _pg_cluster("start"), 5432),
    "redis": (["redis-cli", "-p", "6379", "shutdown", "nosave"],
              ["redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "-::1", "--port", "6379", "--save", "",
               "--appendonly", "no", "--dir", "/var/lib/redis", "--logfile", "/var/log/redis/ci.log"], 6379),
    "rabbitmq": (["rabbitmqctl", "stop_app"], ["rabbitmqctl", "start_app"], 5672),
}


def _answers(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
        return True
    return False


@contextlib.contextmanager
def stopped(name: str):
    stop, start, port = SERVERS[name]
    subprocess.run(stop, check=False, capture_output=True, timeout=60)
    try:
        wait_for(lambda: not _answers(port), timeout=30, what=f"{name} to stop")
        yield
    finally:
        subprocess.run(start, check=False, capture_output=True, timeout=120)
        if name == "rabbitmq" and not _answers(port):
            subprocess.run(["rabbitmq-server", "-detached"], check=False, capture_output=True, timeout=60)
        deadline = time.monotonic() + 90
        while not _answers(port) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert _answers(port), f"{name} did not come back: start it by hand ({' '.join(start)})"


def assert_unavailable(response) -> None:
    assert response.status_code == 503, (response.status_code, response.text[:300])
    assert response.headers["content-type"].startswith(PROBLEM), response.text[:300]
    assert int(response.headers["retry-after"]) >= 1
    assert response.json()["status"] == 503


@pytest.fixture
def user(platform, gateway):
    return platform.log_in(gateway, platform.register(gateway))


def test_postgresql_down_is_503_then_everything_recovers(platform, gateway, user):
    with stopped("postgresql"):
        assert_unavailable(gateway.get("/api/users/me", headers=user.auth()))
        assert_unavailable(gateway.get("/api/gigs/categories/"))
        assert_unavailable(gateway.post("/api/auth/login", json={"email": user.email, "password": user.password}))
    wait_for(lambda: gateway.get("/api/users/me", headers=user.auth()).status_code == 200, timeout=60,
             what="the user service after PostgreSQL came back")
    platform.log_in(gateway, user)


def test_redis_down_fails_closed_for_tokens_and_keeps_public_reads(platform, gateway, user):
    ws = platform.base_url.replace("http://", "ws://") + f"/ws/chat/?token={user.access}"
    with stopped("redis"):
        time.sleep(6)  # past the gateway's cached verdict for this token: it must be asked again
        assert_unavailable(gateway.get("/api/users/me", headers=user.auth()))
        assert_unavailable(gateway.get("/api/orders/", headers=user.auth()))
        assert gateway.get("/api/gigs/categories/").status_code == 200  # anonymous browsing needs no Redis
        try:
            with connect(ws, open_timeout=10) as sock, pytest.raises(ConnectionClosed) as closed:
                sock.recv(timeout=10)
            assert closed.value.rcvd.code == 1013  # try again later, not "your token is bad"
        except InvalidStatus as refused:  # refused before the upgrade: must still be a problem, not HTML
            assert refused.response.status_code == 503
            assert refused.response.headers["content-type"].startswith(PROBLEM)
    wait_for(lambda: gateway.get("/api/users/me", headers=user.auth()).status_code == 200, timeout=60,
             what="authenticated calls after Redis came back")

    def socket_works() -> bool:
        with connect(ws, open_timeout=10) as sock:
            try:
                sock.recv(timeout=1)
            except TimeoutError:
                return True  # open, and nobody closed it
            except ConnectionClosed:
                return False
        return True

    wait_for(socket_works, timeout=60, what="a chat socket after Redis came back")


def test_rabbitmq_down_loses_nothing(platform, gateway, user):
    with stopped("rabbitmq"):
        assert gateway.get("/api/users/me", headers=user.auth()).status_code == 200
        # Its user.registered (and its verification email) wait in the auth outbox.
        newcomer = platform.register(gateway, verified=False)
    wait_for(lambda: gateway.get(f"/api/users/{newcomer.username}").status_code == 200, timeout=90,
             what="the user service to hear of a registration made while RabbitMQ was down")
