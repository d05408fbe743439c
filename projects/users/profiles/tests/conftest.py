"""Fixtures of the user service's tests: tokens from the test key, events as the consumer applies them."""

from __future__ import annotations

import io
import uuid
from dataclasses import dataclass
from datetime import datetime

import pytest
from django.utils import timezone
from PIL import Image

from marketplace_libs.testing import event
from marketplace_libs.events.envelope import Event
from marketplace_libs.times import iso_utc

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


def registered(user_id: str, username: str, email: str | None = None) -> Event:
    return event("user.registered", {"user_id": user_id, "username": username,
                                     "email": email or f"{username}@example.com",
                                     "date_joined": "2026-01-02T03:04:05.000000Z"})


def deactivated(user_id: str, *, at: datetime | None = None, reason: str = "Spam") -> Event:
    """The auth service's ``user.deactivated`` (staff closed the account in the auth admin)."""
    return event("user.deactivated", {"user_id": user_id, "deactivated_at": iso_utc(at or timezone.now()),
                                      "reason": reason})


def reactivated(user_id: str, *, at: datetime | None = None) -> Event:
    return event("user.reactivated", {"user_id": user_id, "reactivated_at": iso_utc(at or timezone.now())})


def png_bytes(size=(300, 200), fmt="PNG") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (20, 120, 220)).save(buffer, fmt)
    return buffer.getvalue()


# The aggregates review.created carries beside the review (these services count reviews themselves).
RATINGS = {"gig_rating": {"rating_avg": "4.00", "rating_count": 1},
           "seller_rating": {"rating_avg": "4.00", "rating_count": 1}}
