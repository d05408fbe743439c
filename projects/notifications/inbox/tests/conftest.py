"""Fixtures of the notification service's tests: events as the consumer applies them, a real SMTP server."""

from __future__ import annotations

import email
import email.policy
import uuid
from dataclasses import dataclass

import pytest

from marketplace_libs.testing import deliver, event, free_port

NOTIFICATIONS = "/api/notifications"






@dataclass
class User:
    id: str
    username: str
    email: str
    client: object


@pytest.fixture
def user(client_for, db):
    """A registered user (user.registered applied), with an API client."""

    def make(username: str | None = None) -> User:
        user_id = str(uuid.uuid4())
        username = username or f"u{user_id[:8]}"
        deliver(event("user.registered", {"user_id": user_id, "username": username, "email": f"{username}@example.com",
                                          "date_joined": "2026-01-01T00:00:00Z"}))
        return User(user_id, username, f"{username}@example.com", client_for(user_id=user_id, username=username))

    return make


class Inbox:
    """What a real SMTP server (aiosmtpd) received."""

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's handler protocol
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 OK"

    def to(self, address: str) -> list:
        return [message for message in self.messages if message["To"] == address]

    @staticmethod
    def text(message) -> str:
        return message.get_body(preferencelist=("plain",)).get_content()

    @staticmethod
    def html(message) -> str:
        return message.get_body(preferencelist=("html",)).get_content()


@pytest.fixture
def smtp(settings):
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    inbox.controller = controller
    yield inbox
    controller.stop()


def send_pending() -> list[str]:
    """Run the email task body for every pending delivery, as the worker would."""
    from inbox import services
    from inbox.models import EmailDelivery

    return [services.send_delivery(pk) for pk in EmailDelivery.objects.filter(status="pending").values_list("pk",
                                                                                                            flat=True)]


def order_data(buyer: User, seller: User, **extra) -> dict:
    return {"order_id": str(uuid.uuid4()), "gig_id": str(uuid.uuid4()), "package": "basic",
            "title": "I will design your logo", "buyer_id": buyer.id, "seller_id": seller.id, "price": "40.00",
            "currency": "USD", **extra}
