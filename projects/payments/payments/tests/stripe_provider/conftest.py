"""A real localstripe server for the Stripe provider's tests, and a real HTTP server that receives its webhooks."""

from __future__ import annotations

import json
import queue
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests

from marketplace_libs.testing import free_port, local_server

from payments.providers.stripe import StripeProvider

WEBHOOK_SECRET = "whsec_tests_" + uuid.uuid4().hex


def _localstripe_program() -> str:
    # Installed into the tests' virtualenv from requirements/dev.txt, beside this Python.
    program = Path(sys.executable).parent / "localstripe"
    if not program.exists():
        pytest.fail(f"localstripe is not installed in {program.parent} (requirements/dev.txt): "
                    "run `python3 manage_all.py test payments`, which installs it", pytrace=False)
    return str(program)


@pytest.fixture(scope="session")
def localstripe_url():
    """A localstripe of this test session's own: its webhook endpoints and objects are shared with no one."""
    url = f"http://127.0.0.1:{free_port()}"
    with local_server([_localstripe_program(), "--port", url.rsplit(":", 1)[1], "--from-scratch"],
                      f"{url}/js.stripe.com/v3/"):
        yield url


@pytest.fixture
def provider(localstripe_url) -> StripeProvider:
    return StripeProvider(api_key="sk_test_marketplace", api_base=localstripe_url, webhook_secret=WEBHOOK_SECRET)


@dataclass
class Delivery:
    body: bytes
    headers: dict


class WebhookInbox:
    """What localstripe POSTed to our endpoint, in order."""

    def __init__(self):
        self.deliveries: queue.Queue[Delivery] = queue.Queue()

    def next_of(self, event_type: str, *, about: str, timeout: float = 30) -> Delivery:
        """The next delivery of ``event_type`` whose object is ``about`` (others are passed over)."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"localstripe sent no {event_type} webhook about {about}")
            try:
                delivery = self.deliveries.get(timeout=remaining)
            except queue.Empty:
                continue
            payload = json.loads(delivery.body)
            if payload["type"] == event_type and payload["data"]["object"]["id"] == about:
                return delivery


@pytest.fixture(scope="session")
def webhook_inbox(localstripe_url):
    """A real HTTP endpoint registered with localstripe (its /_config/webhooks/ API) for the session."""
    inbox = WebhookInbox()

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            inbox.deliveries.put(Delivery(body=body, headers=dict(self.headers.items())))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        registered = requests.post(f"{localstripe_url}/_config/webhooks/payments-tests", timeout=5, json={
            "url": f"http://127.0.0.1:{server.server_port}/api/payments/webhooks/stripe",
            "secret": WEBHOOK_SECRET,
            "events": ["payment_intent.succeeded", "payment_intent.payment_failed", "charge.refunded"]})
        registered.raise_for_status()
        yield inbox
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict


@pytest.fixture
def recording_proxy(localstripe_url):
    """A real HTTP hop in front of localstripe that forwards every request and keeps what it saw, so a
    test can see what the stripe library put on the wire (localstripe itself ignores Idempotency-Key)."""
    seen: list[Recorded] = []

    class Forwarder(BaseHTTPRequestHandler):
        def _forward(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            seen.append(Recorded(self.command, self.path, dict(self.headers.items())))
            headers = {name: value for name, value in self.headers.items()
                       if name.lower() not in ("host", "content-length", "connection")}
            answer = requests.request(self.command, localstripe_url + self.path, data=body, headers=headers,
                                      timeout=10)
            self.send_response(answer.status_code)
            self.send_header("Content-Type", answer.headers.get("Content-Type", "application/json"))
            self.send_header("Content-Length", str(len(answer.content)))
            self.end_headers()
            self.wfile.write(answer.content)

        do_GET = do_POST = do_DELETE = _forward

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Forwarder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", seen
    finally:
        server.shutdown()
        server.server_close()
