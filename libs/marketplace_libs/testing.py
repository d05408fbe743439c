"""Test helpers: a throwaway signing key, token minting, and API clients.

Services' tests use these to make the tokens the auth service would make,
without running it; the end-to-end tests use them to forge the bad ones
(expired, signed by another key, ``alg: none``...).
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from contextlib import contextmanager
from functools import cache

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from .tokens import ALGORITHM, JWKSKeySource

TEST_KID = "test-key"


@cache
def test_private_key(name: str = "default") -> rsa.RSAPrivateKey:
    """One RSA key per name and test process (generating keys is slow)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def private_pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def test_jwks(key: rsa.RSAPrivateKey | None = None, kid: str = TEST_KID) -> dict:
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk((key or test_private_key()).public_key()))
    jwk.update(kid=kid, use="sig", alg=ALGORITHM)
    return {"keys": [jwk]}


def test_key_source() -> JWKSKeySource:
    """Point a service's ``MARKETPLACE_TOKEN_KEY_SOURCE`` here to trust the test key."""
    return JWKSKeySource(lambda: test_jwks())


def mint_token(*, user_id: str | None = None, username: str = "tester", roles=("buyer",),
               lifetime: int = 900, token_type: str = "access", key: rsa.RSAPrivateKey | None = None,
               kid: str = TEST_KID, issued_at: float | None = None, email_verified: bool = True,
               **claims) -> str:
    """A token as the auth service issues it, for a user who verified their email unless told otherwise."""
    now = time.time() if issued_at is None else issued_at
    payload = {
        "token_type": token_type,
        "sub": user_id or str(uuid.uuid4()),
        "username": username,
        "roles": list(roles),
        "email_verified": email_verified,
        "jti": uuid.uuid4().hex,
        "iat": int(now),
        "exp": int(now + lifetime),
        **claims,
    }
    return jwt.encode(payload, key or test_private_key(), algorithm=ALGORITHM, headers={"kid": kid})


def unsigned_token(**claims) -> str:
    """An ``alg: none`` token, which every verifier must refuse."""
    def part(value: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    now = int(time.time())
    payload = {"token_type": "access", "sub": str(uuid.uuid4()), "jti": uuid.uuid4().hex,
               "iat": now, "exp": now + 900, "roles": ["buyer", "staff"], **claims}
    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(payload)}."


def with_claims_of(token: str, **changes) -> str:
    """The same token with its payload changed and the old signature kept (a tampered token)."""
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims.update(changes)
    new_payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{new_payload}.{signature}"


# --- what every service's tests check and do ------------------------------------------------

def problem(response, status: int) -> dict:
    """The problem+json body of a Django test response, after checking its shape and status."""
    import json

    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = json.loads(response.content)
    assert body["status"] == status and body["title"] and body["detail"]
    assert body["request_id"] == response["X-Request-ID"]
    return body


def event(event_type: str, data: dict, *, event_id: str | None = None, version: int = 1):
    """An event as a consumer receives it (to hand to ``deliver``)."""
    from django.utils import timezone

    from .events.envelope import Event

    return Event(id=event_id or str(uuid.uuid4()), type=event_type, version=version, occurred_at=timezone.now(),
                 producer="test", correlation_id="test-correlation", data=data)


def deliver(*events) -> set[str]:
    """Apply events the way the worker does: inbox rows and handlers in one transaction."""
    from .events.consumer import apply_events

    return apply_events(list(events))


def published(event_type: str) -> list[dict]:
    """The data of the events of ``event_type`` this service wrote to its outbox, oldest first."""
    from .events.models import OutboxEvent

    return [row.data for row in OutboxEvent.objects.filter(event_type=event_type).order_by("id")]


def relay_on_an_in_memory_broker(*, batch_size: int):
    """The outbox relay on kombu's in-memory transport (no confirms to wait for), and a queue bound
    to ``user.registered`` that receives what it sends: the relay's own code, with no RabbitMQ."""
    from kombu import Connection, Queue

    from .events import broker
    from .events.relay import OutboxRelay

    relay = OutboxRelay(batch_size=batch_size)
    relay._broker = Connection("memory://")
    queue = Queue(f"relay-test-{uuid.uuid4()}", exchange=broker.EVENTS_EXCHANGE, routing_key="user.registered")
    queue(relay._broker.default_channel).declare()
    return relay, relay._broker.SimpleQueue(queue)


def received_event_ids(simple_queue) -> list[str]:
    """The ids of the envelopes waiting on ``simple_queue``, in order, each acknowledged."""
    ids = []
    while simple_queue.qsize():
        message = simple_queue.get(timeout=1)
        ids.append(message.payload["id"])
        message.ack()
    return ids


@contextmanager
def captured_log_lines(service: str):
    """The exact text a service's stdout handler (the ECS JSON formatter) writes meanwhile, as a
    StringIO that fills while the block runs."""
    import io
    import logging

    import structlog

    from .logging_setup import logging_config

    formatter_config = logging_config(service)["formatters"]["json"]
    handler = logging.StreamHandler(io.StringIO())
    handler.setFormatter(structlog.stdlib.ProcessorFormatter(
        processors=formatter_config["processors"], foreign_pre_chain=formatter_config["foreign_pre_chain"]))
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield handler.stream
    finally:
        root.removeHandler(handler)


def bytes_behind_download(response, *, kind: str) -> bytes:
    """What a download answer (a 302 to a short-lived link) serves: fetched from S3 when ``kind`` is "s3"
    (a presigned URL of 5 minutes), else read where the gateway would serve it from after checking the
    link's signature (the file-system default)."""
    from pathlib import Path
    from urllib.parse import urlsplit

    import httpx
    from django.conf import settings

    from .files import links

    assert response.status_code == 302, response.content
    url = response["Location"]
    if kind == "s3":
        assert "X-Amz-Expires=300" in url
        fetched = httpx.get(url)
        assert fetched.status_code == 200
        return fetched.content
    link = links.verified_link(urlsplit(url).path.removeprefix("/files/"))
    assert link.seconds_left() <= 300
    return (Path(settings.STORAGES["files"]["OPTIONS"]["location"]).parent / link.service / link.name).read_bytes()


def migrated_to(targets: list[tuple[str, str]]):
    """Migrate the test database to ``targets`` (``[(app, migration)]``, as ``migrate`` takes them); the
    historical apps of that state, to write rows as the migrations' own code would see them."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def migrated_to_latest(app_label: str) -> None:
    """Back to the newest migrations of ``app_label``, for the tests that follow."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    migrated_to(MigrationExecutor(connection).loader.graph.leaf_nodes(app_label))


def free_port() -> int:
    """A TCP port nobody listens on at this moment, for a server a test starts itself."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _answers_http(url: str) -> bool:
    """Whether something speaks HTTP at ``url``: any status counts, a 404 included."""
    import http.client
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=1)
    try:
        connection.request("GET", parts.path or "/")
        connection.getresponse().read()
        return True
    except (OSError, http.client.HTTPException):
        return False
    finally:
        connection.close()


@contextmanager
def local_server(command: list[str], ready_url: str, *, timeout: float = 30):
    """Run ``command`` (a real local peer: localstripe, an Elasticsearch stand-in...) until the block
    ends; enter once ``ready_url`` answers HTTP. A server that exits or stays silent for ``timeout``
    seconds fails the test that needs it, instead of hanging it."""
    import subprocess

    process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + timeout
        while not _answers_http(ready_url):
            if process.poll() is not None:
                raise RuntimeError(f"{command[0]} exited with {process.returncode} before answering {ready_url}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{command[0]} did not answer {ready_url} within {timeout:g} s")
            time.sleep(0.05)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
