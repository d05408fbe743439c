"""Helpers for driving the platform through the gateway like a client would."""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psycopg

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "a perfectly long passphrase 42"
PROBLEM = "application/problem+json"


@dataclass
class User:
    email: str
    username: str
    password: str
    id: str = ""
    access: str = ""
    refresh: str = ""

    def auth(self) -> dict:
        return {"Authorization": f"Bearer {self.access}"}


@dataclass
class Platform:
    base_url: str
    env: dict
    log_path: Path  # the JSON lines (var/log/platform.log under the platform's var/)
    console_path: Path  # what `up` printed: the readable console
    mail: "MailCatcher | None" = None
    _counter: list = field(default_factory=lambda: [0])

    @property
    def var_dir(self) -> Path:
        return Path(self.env["MARKETPLACE_VAR_DIR"])

    def service_url(self, name: str) -> str:
        from marketplace_libs.topology import ALL_SERVICES

        slot = next(spec.slot for spec in ALL_SERVICES if spec.name == name)
        return f"http://127.0.0.1:{int(self.env['MARKETPLACE_PORT_BASE']) + slot}"

    def register(self, client: httpx.Client, **overrides) -> User:
        tag = uuid.uuid4().hex[:10]
        user = User(email=f"user-{tag}@example.com", username=f"user_{tag}", password=PASSWORD)
        for name, value in overrides.items():
            setattr(user, name, value)
        response = client.post("/api/auth/register",
                               json={"email": user.email, "username": user.username, "password": user.password})
        assert response.status_code == 201, response.text
        user.id = response.json()["id"]
        return user

    def log_in(self, client: httpx.Client, user: User) -> User:
        response = client.post("/api/auth/login", json={"email": user.email, "password": user.password})
        assert response.status_code == 200, response.text
        user.access, user.refresh = response.json()["access"], response.json()["refresh"]
        return user

    def database(self, service: str) -> psycopg.Connection:
        url = self.env["MARKETPLACE_DATABASE_URL"].replace("postgres://", "postgresql://", 1)
        prefix = self.env["MARKETPLACE_DATABASE_PREFIX"]
        return psycopg.connect(f"{url.rstrip('/')}/{prefix}{service}", autocommit=True)

    def manage(self, service: str, *args: str) -> str:
        """Run a manage.py command of one service against the e2e platform's settings."""
        result = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT / "projects" / service,
                                env=self.env, capture_output=True, text=True, check=True)
        return result.stdout


@contextmanager
def staff_admin(platform: Platform) -> Iterator[httpx.Client]:
    """A client signed in to the auth admin through the gateway, as a new staff account (made by the
    auth service's own registration, so it is announced like any account)."""
    suffix = uuid.uuid4().hex[:8]
    email, password = f"staff-{suffix}@e2e.test", f"staff passphrase {suffix}"
    platform.manage("auth", "shell", "-c", (
        "from accounts import services; "
        f"services.register_user(email='{email}', username='staff_{suffix}', password='{password}', "
        "is_staff=True, is_superuser=True)"))
    with httpx.Client(base_url=platform.base_url, timeout=10) as client:
        client.get("/admin/auth/login/")
        response = client.post("/admin/auth/login/?next=/admin/auth/", data={
            "username": email, "password": password, "csrfmiddlewaretoken": client.cookies.get("auth_csrftoken"),
            "next": "/admin/auth/"}, headers={"Referer": f"{platform.base_url}/admin/auth/login/"})
        assert response.status_code == 302, response.text[:500]
        yield client


def admin_action(platform: Platform, admin: httpx.Client, changelist: str, action: str, ids: list[str]) -> None:
    """Run an admin list action on ``ids`` through the gateway, as staff do from the list page."""
    assert admin.get(changelist).status_code == 200
    response = admin.post(changelist, data={
        "action": action, "_selected_action": ids, "csrfmiddlewaretoken": admin.cookies.get("auth_csrftoken")},
        headers={"Referer": f"{platform.base_url}{changelist}"})
    assert response.status_code == 302, response.text[:500]


def assert_problem(response: httpx.Response, status: int, *, field: str | None = None) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM), response.headers
    body = response.json()
    assert body["status"] == status
    assert body["title"] and body["detail"] and body["type"]
    assert body["request_id"] == response.headers["x-request-id"]
    if field is not None:
        assert field in body.get("errors", {}), body
    return body


def after_the_second_it_was_issued(token: str) -> None:
    """JWT ``iat`` counts whole seconds, so a cut-off "tokens issued before now" can only tell
    tokens of earlier seconds apart: wait until the token's second is over."""
    import time

    import jwt

    issued_at = jwt.decode(token, options={"verify_signature": False})["iat"]
    time.sleep(max(0.0, issued_at + 1.01 - time.time()))


def wait_for(condition, *, timeout: float = 20, interval: float = 0.1, what: str = "the condition"):
    """Poll ``condition`` until it returns something truthy (events cross services asynchronously)."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def publish_event(platform: Platform, event_type: str, data: dict, *, event_id: str | None = None,
                  producer: str = "e2e") -> str:
    """Put an event on the platform's real exchange, as a producer's relay would; its id."""
    from datetime import datetime, timezone

    from kombu import Connection, Exchange

    event_id = event_id or str(uuid.uuid4())
    envelope = {"id": event_id, "type": event_type, "version": 1,
                "occurred_at": datetime.now(timezone.utc).isoformat(), "producer": producer,
                "correlation_id": f"e2e-{uuid.uuid4().hex[:8]}", "data": data}
    with Connection(platform.env["MARKETPLACE_BROKER_URL"]) as connection:
        connection.Producer().publish(envelope, exchange=Exchange("marketplace.events", type="topic", durable=True),
                                      routing_key=event_type, serializer="json", delivery_mode=2,
                                      message_id=event_id, retry=True)
    return event_id


def token_claims(token: str) -> dict:
    import jwt

    return jwt.decode(token, options={"verify_signature": False})


DEVELOPMENT_PAYMENT_WEBHOOK_SECRET = "whsec_development_only_0f3c9a"


def signed_sandbox_webhook(platform: Platform, payment: dict, event_type: str = "payment.succeeded", *,
                           event_id: str | None = None, amount: str | None = None, secret: str | None = None,
                           at: int | None = None) -> tuple[bytes, dict]:
    """The sandbox provider's webhook for a checkout's ``payment``: (raw body, headers), signed as the
    contract says (``X-Payment-Signature: t=<unix>,v1=<HMAC-SHA256 of "<t>.<body>">``)."""
    import hashlib
    import hmac
    import json
    import time

    secret = secret or platform.env.get("MARKETPLACE_PAYMENT_WEBHOOK_SECRET", DEVELOPMENT_PAYMENT_WEBHOOK_SECRET)
    body = json.dumps({"id": event_id or f"evt_{uuid.uuid4().hex}", "type": event_type,
                       "data": {"payment_id": payment["id"], "order_id": payment["order_id"],
                                "amount": amount or payment["amount"], "currency": payment["currency"]}}).encode()
    timestamp = int(time.time()) if at is None else at
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return body, {"Content-Type": "application/json", "X-Payment-Signature": f"t={timestamp},v1={digest}"}


def checkout(client, buyer: User, order: dict, **extra) -> dict:
    """The buyer's checkout of ``order``, once order.placed has reached the payment service."""
    def attempt():
        response = client.post("/api/payments/checkout", headers=buyer.auth(), json={"order_id": order["id"], **extra})
        if response.status_code == 409 and response.json().get("type", "").endswith(":order_pending"):
            return None
        assert response.status_code in (200, 201), response.text
        return response.json()

    return wait_for(attempt, interval=0.2, what="order.placed to reach the payment service")


def order_of(client, user: User, order: dict) -> dict:
    response = client.get(f"/api/orders/{order['id']}/", headers=user.auth())
    assert response.status_code == 200, response.text
    return response.json()


def paid_order(platform: Platform, client, buyer: User, order: dict) -> dict:
    """``order`` paid through the sandbox provider (checkout, then its signed webhook), once in progress."""
    payment = checkout(client, buyer, order)
    body, headers = signed_sandbox_webhook(platform, payment)
    webhook = client.post("/api/payments/webhooks/sandbox", content=body, headers=headers)
    assert webhook.status_code == 200, webhook.text
    return wait_for(lambda: (lambda now: now if now["status"] == "in_progress" else None)(order_of(client, buyer, order)),
                    interval=0.2, what="payment.succeeded to reach the order service")


# The aggregates review.created carries beside the review (these services count reviews themselves).
RATINGS = {"gig_rating": {"rating_avg": "4.00", "rating_count": 1},
           "seller_rating": {"rating_avg": "4.00", "rating_count": 1}}


def become_seller(platform: Platform, client, user: User) -> User:
    """Open ``user``'s seller profile and refresh until the token carries the seller role."""
    opened = client.post("/api/users/me/seller", headers=user.auth(),
                         json={"headline": "Professional freelancer", "description": "Ten years of client work."})
    assert opened.status_code in (200, 201), opened.text

    def has_role():
        response = client.post("/api/auth/refresh", json={"refresh": user.refresh})
        assert response.status_code == 200, response.text
        user.access, user.refresh = response.json()["access"], response.json()["refresh"]
        return "seller" in token_claims(user.access)["roles"]

    wait_for(has_role, interval=0.3, what="the seller role")
    return user


def publish_gig(client, seller: User, title: str, *, price: str = "50.00", category: str = "copywriting") -> dict:
    response = client.post("/api/gigs/", headers=seller.auth(), json={
        "title": title, "category": category, "tags": ["e2e"], "status": "active",
        "description": f"{title}: researched, written and revised until you are happy with it.",
        "packages": [{"tier": "basic", "title": "Standard job", "description": "", "price": price,
                      "currency": "USD", "delivery_days": 3, "revisions": 1}]})
    assert response.status_code == 201, response.text
    return response.json()


def completed_order(platform: Platform, client, buyer: User, seller: User, gig: dict) -> dict:
    """An order of ``gig`` by ``buyer`` taken through payment, delivery and acceptance, via the gateway."""
    def place():
        response = client.post("/api/orders/", headers=buyer.auth(), json={"gig_id": gig["id"], "package": "basic"})
        return response.json() if response.status_code == 201 else None

    order = paid_order(platform, client, buyer, wait_for(place, interval=0.2, what="gig.created to reach the order service"))
    assert client.post(f"/api/orders/{order['id']}/deliver", headers=seller.auth(),
                       json={"message": "Delivered"}).status_code == 200
    accepted = client.post(f"/api/orders/{order['id']}/accept", headers=buyer.auth())
    assert accepted.status_code == 200, accepted.text
    return accepted.json()


class MailCatcher:
    """The aiosmtpd handler of the e2e SMTP server: keeps every message it receives."""

    def __init__(self):
        import threading

        self.messages: list = []
        self.lock = threading.Lock()
        self.port = 0

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's handler protocol
        import email
        import email.policy

        with self.lock:
            self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 OK"

    def to(self, address: str, kind: str | None = None) -> list:
        with self.lock:
            return [message for message in self.messages if message["To"] == address
                    and (kind is None or message["X-Marketplace-Kind"] == kind)]

    @staticmethod
    def text(message) -> str:
        return message.get_body(preferencelist=("plain",)).get_content()


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
