"""Fixtures of the gig service's tests: sellers with tokens from the test key, gigs made through the API."""

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

GIGS = "/api/gigs"


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
    def make(roles=("buyer", "seller"), username: str | None = None) -> Caller:
        user_id = str(uuid.uuid4())
        username = username or f"seller{uuid.uuid4().hex[:8]}"
        return Caller(user_id, username, client_for(user_id=user_id, username=username, roles=roles))

    return make


def package(tier="basic", price="40.00", days=3, revisions=2, currency="USD", **extra) -> dict:
    return {"tier": tier, "title": f"{tier.title()} package", "description": f"The {tier} offer.",
            "price": price, "currency": currency, "delivery_days": days, "revisions": revisions, **extra}


def gig_body(**overrides) -> dict:
    body = {
        "title": "I will design a minimalist logo for your brand",
        "description": "A clean, modern logo with unlimited colour variants and all source files included.",
        "category": "logo-design",
        "tags": ["logo", "branding"],
        "status": "active",
        "packages": [package("basic", "40.00", 3, 2), package("premium", "180.00", 7, "unlimited")],
    }
    body.update(overrides)
    return body


def create_gig(seller: Caller, **overrides) -> dict:
    response = seller.client.post(f"{GIGS}/", gig_body(**overrides), format="json")
    assert response.status_code == 201, response.content
    return response.json()


def problem(response, status: int) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = json.loads(response.content)
    assert body["status"] == status
    return body


def event(event_type: str, data: dict, *, event_id: str | None = None) -> Event:
    return Event(id=event_id or str(uuid.uuid4()), type=event_type, version=1, occurred_at=timezone.now(),
                 producer="test", correlation_id="test", data=data)


def deliver(*events: Event) -> set[str]:
    return apply_events(list(events))


def published(event_type: str) -> list[dict]:
    return [row.data for row in OutboxEvent.objects.filter(event_type=event_type).order_by("id")]


def image_bytes(size=(400, 300), fmt="PNG") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (10, 200, 90)).save(buffer, fmt)
    return buffer.getvalue()


class DatabaseSearch:
    name = "database"

    def refresh(self) -> None:
        """The database sees its own writes at once."""


@pytest.fixture(params=["database"])
def search_backend(request, settings):
    settings.MARKETPLACE_ELASTICSEARCH_URL = ""
    return DatabaseSearch()
