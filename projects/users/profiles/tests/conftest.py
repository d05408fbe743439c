"""Fixtures of the user service's tests: tokens from the test key, events as the consumer applies them."""

from __future__ import annotations

import io
import json
import uuid
from dataclasses import dataclass

import pytest
from django.utils import timezone
from PIL import Image

from marketplace_libs.events.consumer import apply_events
from marketplace_libs.events.envelope import Event
from marketplace_libs.events.models import OutboxEvent

USERS = "/api/users"


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


@dataclass
class Caller:
    id: str
    username: str
    client: object


@pytest.fixture
def caller(client_for, db):
    """A signed-in user with a fresh username."""

    def make(username: str | None = None, roles=("buyer",)) -> Caller:
        user_id = str(uuid.uuid4())
        username = username or f"user{uuid.uuid4().hex[:8]}"
        return Caller(user_id, username, client_for(user_id=user_id, username=username, roles=roles))

    return make


def problem(response, status: int) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = json.loads(response.content)
    assert body["status"] == status
    return body


def event(event_type: str, data: dict, *, event_id: str | None = None) -> Event:
    return Event(id=event_id or str(uuid.uuid4()), type=event_type, version=1, occurred_at=timezone.now(),
                 producer="test", correlation_id="test-correlation", data=data)


def deliver(*events: Event) -> set[str]:
    """Apply events the way the worker does (inbox and handlers in one transaction)."""
    return apply_events(list(events))


def registered(user_id: str, username: str, email: str | None = None) -> Event:
    return event("user.registered", {"user_id": user_id, "username": username,
                                     "email": email or f"{username}@example.com",
                                     "date_joined": "2026-01-02T03:04:05.000000Z"})


def published(event_type: str) -> list[dict]:
    return [row.data for row in OutboxEvent.objects.filter(event_type=event_type).order_by("id")]


def png_bytes(size=(300, 200), fmt="PNG") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (20, 120, 220)).save(buffer, fmt)
    return buffer.getvalue()


# The aggregates review.created carries beside the review (these services count reviews themselves).
RATINGS = {"gig_rating": {"rating_avg": "4.00", "rating_count": 1},
           "seller_rating": {"rating_avg": "4.00", "rating_count": 1}}
