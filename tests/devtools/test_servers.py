"""devtools/servers.py: the set-up `manage_all.py test` does before any suite, on this machine's servers."""

import base64
import hashlib
import hmac
import os
import stat
import uuid

import psycopg
import pytest

from devtools import servers

POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"


def _scram_matches(verifier: str, password: str) -> bool:
    """Whether PostgreSQL's stored SCRAM-SHA-256 verifier is that of ``password`` (RFC 5802)."""
    method, rest = verifier.split("$", 1)
    iterations_salt, keys = rest.split("$")
    iterations, salt = iterations_salt.split(":")
    stored_key, server_key = keys.split(":")
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), base64.b64decode(salt), int(iterations))
    client_key = hmac.new(salted, b"Client Key", "sha256").digest()
    return (method == "SCRAM-SHA-256"
            and base64.b64encode(hashlib.sha256(client_key).digest()).decode() == stored_key
            and base64.b64encode(hmac.new(salted, b"Server Key", "sha256").digest()).decode() == server_key)


@pytest.fixture
def role():
    name = f"marketplace_test_{uuid.uuid4().hex[:8]}"
    yield name
    with psycopg.connect(POSTGRES, autocommit=True) as connection:
        connection.execute(f'DROP ROLE IF EXISTS "{name}"')


def test_the_password_role_is_made_over_the_socket_and_its_password_kept_for_its_owner_only(tmp_path, role):
    password = servers.make_password_role(tmp_path, role=role)
    again = servers.make_password_role(tmp_path, role=role)  # a second run resets it, without failing
    kept = servers.password_file(tmp_path)
    assert kept.read_text() == again != password
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    with psycopg.connect(POSTGRES) as connection:
        login, create_db, superuser, verifier = connection.execute(
            "SELECT rolcanlogin, rolcreatedb, rolsuper, rolpassword FROM pg_authid WHERE rolname = %s",
            [role]).fetchone()
    assert (login, create_db, superuser) == (True, True, False)
    assert _scram_matches(verifier, again) and not _scram_matches(verifier, password)


def test_a_trusted_url_is_used_as_it_is(tmp_path):
    url = "postgres://postgres@127.0.0.1:5432"
    assert servers.database_url(url, tmp_path, configured=False) == url
    assert not servers.password_file(tmp_path).exists()


def test_a_refusal_other_than_a_password_is_reported_not_worked_around(tmp_path):
    with pytest.raises(SystemExit) as refused:
        servers.database_url("postgres://nobody_here_at_all@127.0.0.1:5432", tmp_path, configured=False)
    assert 'role "nobody_here_at_all" does not exist' in str(refused.value)
    assert not servers.password_file(tmp_path).exists()


@pytest.mark.parametrize("message, asks", [
    ('connection failed: FATAL:  password authentication failed for user "postgres"', True),
    ("connection failed: fe_sendauth: no password supplied", True),
    ('FATAL:  no pg_hba.conf entry for host "127.0.0.1", user "x", database "y", no encryption', False),
    ('FATAL:  role "x" does not exist', False),
])
def test_what_counts_as_postgresql_asking_for_a_password(message, asks):
    assert servers.refuses_credentials(Exception(message)) is asks


def test_running_servers_are_left_alone():
    env = {"MARKETPLACE_DATABASE_URL": "postgres://postgres@127.0.0.1:5432",
           "MARKETPLACE_REDIS_URL": "redis://127.0.0.1:6379/1",
           "MARKETPLACE_BROKER_URL": "amqp://guest:guest@127.0.0.1:5672//"}
    servers.ensure_running(env)  # all answer: nothing to install or start


def test_a_server_that_is_not_this_machines_own_is_named_not_started():
    env = {"MARKETPLACE_REDIS_URL": "redis://127.0.0.1:1/1", "MARKETPLACE_BROKER_URL": "amqp://u:pw@127.0.0.2:1//"}
    with pytest.raises(SystemExit) as stopped:
        servers.ensure_running(env)
    text = str(stopped.value)
    assert "Redis at MARKETPLACE_REDIS_URL=redis://127.0.0.1:1/1" in text
    assert "RabbitMQ at MARKETPLACE_BROKER_URL=amqp://u:***@127.0.0.2:1//" in text and ":pw@" not in text


def test_without_root_or_sudo_the_command_to_run_is_printed(monkeypatch):
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    monkeypatch.setattr(servers.shutil, "which", lambda name: None)
    with pytest.raises(servers.NotPermitted) as refused:
        servers.install(["redis-server"])
    assert "sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server" in str(refused.value)


def test_root_runs_directly_and_others_through_sudo(monkeypatch):
    command = ["rabbitmq-server", "-detached"]
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    assert servers.as_root(command, why="test") == command
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    monkeypatch.setattr(servers.shutil, "which", lambda name: f"/usr/bin/{name}")
    assert servers.as_root(command, why="test") == ["/usr/bin/sudo", "-H", *command]
    assert servers.as_user("postgres", ["psql"], why="test") == ["/usr/bin/sudo", "-u", "postgres", "psql"]


def test_rabbitmqctl_is_found_off_a_users_path(monkeypatch):
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    assert servers.program("rabbitmqctl") == "/usr/sbin/rabbitmqctl"


def test_the_url_with_the_role_keeps_host_and_port():
    url = servers.with_role("postgres://postgres@127.0.0.1:5433", "marketplace", "a/b c")
    assert url == "postgres://marketplace:a%2Fb%20c@127.0.0.1:5433"
    assert servers.redact_url(url) == "postgres://marketplace:***@127.0.0.1:5433"
