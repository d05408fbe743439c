"""Fixtures of the order service's tests: a gig on sale (as gig.* events told it), parties with tokens."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

import pytest
from django.conf import settings
from django.utils import timezone

from marketplace_libs.events.consumer import apply_events
from marketplace_libs.events.envelope import Event
from orders.payments.webhook import signed_body

ORDERS = "/api/orders"


@dataclass
class Party:
    id: str
    client: object


@pytest.fixture
def party(client_for, db):
    def make(roles=("buyer",)) -> Party:
        user_id = str(uuid.uuid4())
        return Party(user_id, client_for(user_id=user_id, username=f"u{user_id[:8]}", roles=roles))

    return make


def gig_event(seller_id: str, *, gig_id: str | None = None, status="active", revision=1, packages=None) -> dict:
    return {
        "gig_id": gig_id or str(uuid.uuid4()), "seller_id": seller_id,
        "title": "I will design a minimalist logo for your brand", "category": "logo-design", "status": status,
        "packages": packages or [
            {"tier": "basic", "title": "One concept", "description": "", "price": "40.00", "currency": "USD",
             "delivery_days": 3, "revisions": 1},
            {"tier": "premium", "title": "Brand kit", "description": "", "price": "180.00", "currency": "USD",
             "delivery_days": 7, "revisions": "unlimited"}],
        "revision": revision, "updated_at": "2026-06-01T08:00:00Z",
    }


def deliver_event(event_type: str, data: dict) -> None:
    apply_events([Event(id=str(uuid.uuid4()), type=event_type, version=1, occurred_at=timezone.now(),
                        producer="test", correlation_id="test", data=data)])


@pytest.fixture
def seller(party):
    return party(roles=("buyer", "seller"))


@pytest.fixture
def gig(seller):
    data = gig_event(seller.id)
    deliver_event("gig.created", data)
    return data


@pytest.fixture
def buyer(party):
    return party()


def place(buyer: Party, gig: dict, package="basic", **extra) -> dict:
    response = buyer.client.post(f"{ORDERS}/", {"gig_id": gig["gig_id"], "package": package,
                                                "requirements": "Blue and white, please.", **extra}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def webhook(api_client, order: dict, event_type="payment.succeeded", *, event_id=None, amount=None,
            currency=None, at=None, secret=None):
    body, signature = signed_body({
        "id": event_id or f"evt_{uuid.uuid4().hex}", "type": event_type,
        "data": {"payment_id": order["payment"]["payment_id"], "order_id": order["id"],
                 "amount": amount or order["price"], "currency": currency or order["currency"]},
    }, secret or settings.PAYMENT_WEBHOOK_SECRET, at=at if at is not None else int(time.time()))
    return api_client.generic("POST", f"{ORDERS}/payments/webhook", body, content_type="application/json",
                              HTTP_X_PAYMENT_SIGNATURE=signature)


def paid(api_client, buyer, gig, package="basic") -> dict:
    order = place(buyer, gig, package)
    assert webhook(api_client, order).status_code == 200
    return order



