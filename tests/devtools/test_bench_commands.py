"""``manage_all.py bench events|chat``: the commands parse, and their floors (bench/events_floor.py,
bench/chat_floor/) do their work on the real servers. Nothing here is timed: the figures are the
benches' own business (docs/performance.md)."""

import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid

import psycopg
import pytest
from conftest import REPO, manage_all

sys.path.insert(0, str(REPO / "bench"))

from devtools.environment import fresh_vhost, with_redis_db, with_vhost  # noqa: E402
from devtools.environment import test_environment as servers_environment  # noqa: E402

PREFIX = os.environ.get("MARKETPLACE_DATABASE_PREFIX", "h5_")
REDIS_DB = 15


def _environment() -> dict:
    env = servers_environment()
    env["MARKETPLACE_REDIS_URL"] = with_redis_db(env["MARKETPLACE_REDIS_URL"], REDIS_DB)
    return env


def _fresh_database(env: dict, name: str) -> str:
    from _platform import database_url, recreate_database

    recreate_database(env, name)
    return database_url(env, name)


def _wait_for(condition, timeout: float = 60):
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)
    return value


@contextlib.contextmanager
def _running(command: list[str], *, env: dict, cwd=REPO):
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               start_new_session=True)
    try:
        yield process
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


def test_bench_lists_events_and_chat():
    shown = manage_all("bench", "--help", env=dict(os.environ))
    assert shown.returncode == 0, shown.stderr
    assert "events" in shown.stdout and "chat" in shown.stdout


@pytest.mark.parametrize("bench", ["events", "chat"])
def test_each_bench_takes_its_own_arguments(bench):
    shown = manage_all("bench", bench, "--help", env=dict(os.environ))
    assert shown.returncode == 0, shown.stderr
    assert "--quick" in shown.stdout and "within target" in shown.stdout


def test_quick_runs_are_smaller_and_chat_refuses_offline_participants():
    import chat_cost
    import events_cost

    quick, full = events_cost.parse(["--quick"]), events_cost.parse([])
    assert (quick.rounds, quick.burst) < (full.rounds, full.burst)
    assert events_cost.parse(["--quick", "--rounds", "3"]).rounds == 3
    quick, full = chat_cost.parse(["--quick"]), chat_cost.parse([])
    assert (full.sockets, full.conversations) == (1000, 500) and quick.sockets < full.sockets
    with pytest.raises(SystemExit):
        chat_cost.parse(["--sockets", "10", "--conversations", "10"])


def test_events_floor_consumers_store_each_published_event_once():
    from events_floor import create_floor_table

    env = _environment()
    vhost = f"{PREFIX}bench-floor"
    assert fresh_vhost(vhost)
    env["MARKETPLACE_BROKER_URL"] = with_vhost(env["MARKETPLACE_BROKER_URL"], vhost)
    url = _fresh_database(env, f"{PREFIX}bench_events_floor")
    create_floor_table(url)
    consume = [sys.executable, str(REPO / "bench" / "events_floor.py"), "consume", "--broker",
               env["MARKETPLACE_BROKER_URL"], "--database", url, "--queue", "floor_test.events"]

    def rows():
        with psycopg.connect(url) as connection:
            return connection.execute("SELECT username, count(*) FROM received GROUP BY username").fetchall()

    with _running(consume, env=env) as consumer:
        _wait_for(lambda: "floor_test.events" in subprocess.run(
            ["rabbitmqctl", "-q", "list_queues", "-p", vhost, "name"], capture_output=True, text=True).stdout)
        produced = subprocess.run([sys.executable, str(REPO / "bench" / "events_floor.py"), "produce", "--kind", "floor",
                                   "--broker", env["MARKETPLACE_BROKER_URL"], "--prefix", "t", "--count", "3"],
                                  env=env, capture_output=True, text=True, timeout=60)
        assert produced.returncode == 0, produced.stderr
        assert "producer_cpu_seconds" in produced.stdout
        _wait_for(lambda: len(rows()) == 3 or consumer.poll() is not None)
    found = rows()
    assert sorted(name.split("_")[:2] for name, _ in found) == [["t", "0"], ["t", "1"], ["t", "2"]]
    assert {count for _, count in found} == {1}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_chat_floor_stores_a_message_and_sends_it_to_both_participants():
    from cryptography.hazmat.primitives.asymmetric import rsa

    from devtools.processes import web_command
    from marketplace_libs.testing import mint_token, test_jwks

    env = _environment()
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    database = f"{PREFIX}bench_chat_floor"
    url = _fresh_database(env, database)
    env.update(DJANGO_SETTINGS_MODULE="config.settings", BENCH_FLOOR_DATABASE=database,
               MARKETPLACE_BENCH_JWKS=json.dumps(test_jwks(key)))
    floor_dir = REPO / "bench" / "chat_floor"
    subprocess.run([sys.executable, "manage.py", "migrate", "--run-syncdb", "-v0"], cwd=floor_dir, env=env, check=True)
    alice, bob, conversation = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())
    with psycopg.connect(url) as connection:
        connection.execute("INSERT INTO floorchat_conversation (id, low, high) VALUES (%s, %s, %s)",
                           [conversation, alice, bob])
    port = _free_port()

    async def converse():
        from websockets.asyncio.client import connect

        def socket_of(user):
            return connect(f"ws://127.0.0.1:{port}/ws/chat/?token={mint_token(user_id=user, key=key)}")

        async with socket_of(alice) as alice_socket, socket_of(bob) as bob_socket:
            await asyncio.sleep(0.3)  # both in their groups
            await alice_socket.send(json.dumps({"type": "message.send", "conversation_id": conversation,
                                                "body": "hello", "client_id": "c-1"}))
            return [json.loads(await asyncio.wait_for(ws.recv(), 20)) for ws in (alice_socket, bob_socket)]

    with _running(web_command(floor_dir, port, asgi=True, env=env).split(), env=env, cwd=floor_dir) as server:
        _wait_for(lambda: server.poll() is not None or subprocess.run(
            ["curl", "-sf", f"http://127.0.0.1:{port}/healthz"], capture_output=True).returncode == 0)
        assert server.poll() is None, server.stdout.read().decode()
        frames = asyncio.run(converse())
    assert [(f["type"], f["message"]["client_id"], f["message"]["sender_id"]) for f in frames] == \
        [("message.new", "c-1", alice)] * 2
    with psycopg.connect(url) as connection:
        assert connection.execute("SELECT client_id, body FROM floorchat_message").fetchall() == [("c-1", "hello")]
