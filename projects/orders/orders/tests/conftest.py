"""Fixtures of the order service's tests: a gig on sale (as gig.* events told it), parties with tokens,
and the payment service's events about an order."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest
from django.utils import timezone

from marketplace_libs.events import catalogue
from marketplace_libs.events.consumer import apply_events
from marketplace_libs.events.envelope import Event

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


def deliver_event(event_type: str, data: dict, *, event_id: str | None = None) -> set[str]:
    """Apply an event as the worker does (inbox and handlers in one transaction), after checking it
    against its schema as the worker does; the ids applied now (empty for a duplicate)."""
    catalogue.validate(event_type, data)
    return apply_events([Event(id=event_id or str(uuid.uuid4()), type=event_type, version=1,
                               occurred_at=timezone.now(), producer="test", correlation_id="test", data=data)])


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


def payment_event(order: dict, event_type: str = "payment.succeeded", *, payment_id: str | None = None,
                  amount: str | None = None, **extra) -> dict:
    """The data of a payment.* event about ``order`` (the order's answer), as the payment service sends it."""
    data = {"payment_id": payment_id or str(uuid.uuid5(uuid.NAMESPACE_URL, order["id"])), "order_id": order["id"],
            "buyer_id": order["buyer_id"], "seller_id": order["seller_id"], "currency": order["currency"]}
    if event_type == "payment.refunded":
        refunded = amount or order["total"]
        return {**data, "amount": refunded, "refunded_total": refunded, "payment_amount": order["total"],
                "refunded_at": "2026-06-03T10:00:00Z", **extra}
    data.update(provider="sandbox", amount=amount or order["total"])
    if event_type == "payment.failed":
        return {**data, "reason": "Your card was declined.", "failed_at": "2026-06-02T10:00:00Z", **extra}
    return {**data, "succeeded_at": "2026-06-02T10:00:00Z", **extra}


def refund_of(order: dict, amount: str, refunded_total: str) -> dict:
    return payment_event(order, "payment.refunded", amount=amount, refunded_total=refunded_total)


def pay(order: dict, **extra) -> set[str]:
    return deliver_event("payment.succeeded", payment_event(order, **extra))


def paid(buyer, gig, package="basic") -> dict:
    order = place(buyer, gig, package)
    pay(order)
    return order


@pytest.fixture(autouse=True)
def _files_in_tmp(settings, tmp_path):
    """Uploaded files under the test's own folder (tests that need S3 take the files_storage fixture)."""
    from marketplace_libs.files.config import storage_backend

    settings.STORAGES = {**settings.STORAGES, "files": storage_backend(storage_url=None, service="orders",
                                                                        var_dir=tmp_path)}
