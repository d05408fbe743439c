"""Fixtures of the payment service's tests: orders as order.* events tell them, parties with tokens,
and the sandbox provider's signed webhooks."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal

import pytest

from marketplace_libs.testing import deliver, event
from payments.providers.sandbox import signed_webhook

PAYMENTS = "/api/payments"


@dataclass
class Party:
    id: str
    client: object


@dataclass
class Order:
    """An order as order.placed told the payment service: its event data is ``terms``."""
    terms: dict
    buyer: Party
    seller: Party
    events: dict = field(default_factory=dict)

    @property
    def id(self) -> str:
        return self.terms["order_id"]


@pytest.fixture
def party(client_for, db):
    def make(*roles: str) -> Party:
        user_id = str(uuid.uuid4())
        return Party(user_id, client_for(user_id=user_id, username=f"u{user_id[:8]}", roles=("buyer", *roles)))

    return make


def order_terms(buyer_id: str, seller_id: str, *, price="150.00", service_fee="8.25", seller_earnings="120.00",
                currency="USD") -> dict:
    total = Decimal(price) + Decimal(service_fee)
    return {"order_id": str(uuid.uuid4()), "gig_id": str(uuid.uuid4()), "package": "standard",
            "title": "I will design a minimalist logo", "buyer_id": buyer_id, "seller_id": seller_id,
            "price": price, "service_fee": service_fee, "total": f"{total:.2f}", "seller_earnings": seller_earnings,
            "currency": currency, "placed_at": "2026-05-10T09:00:00Z"}


@pytest.fixture
def place(party):
    """``place(**terms)``: a new order between a new buyer and a new seller, known to the payment service."""
    def make(**terms) -> Order:
        buyer, seller = party(), party("seller")
        order = Order(order_terms(buyer.id, seller.id, **terms), buyer, seller)
        deliver(event("order.placed", order.terms))
        return order

    return make


def order_event(order: Order, event_type: str, **facts) -> dict:
    card = {key: order.terms[key] for key in ("order_id", "gig_id", "package", "title", "buyer_id", "seller_id",
                                             "price", "currency")}
    return {**card, **facts}


def complete(order: Order, at: str = "2026-05-19T18:30:00Z") -> None:
    deliver(event("order.completed", order_event(order, "order.completed", completed_at=at, by="buyer")))


def cancelled_event(order: Order, *, refunded=True, event_id: str | None = None):
    return event("order.cancelled", order_event(order, "order.cancelled", cancelled_at="2026-05-11T10:00:00Z",
                                                by="seller", reason="Cannot do it", refunded=refunded),
                 event_id=event_id)


def checkout(order: Order, **body):
    return order.buyer.client.post(f"{PAYMENTS}/checkout", {"order_id": order.id, **body}, format="json")


def webhook(api_client, event_type: str, payment: dict, *, amount: str | None = None, currency: str | None = None,
            event_id: str | None = None, reason: str = "", at: int | None = None, secret: str | None = None):
    raw, signature = signed_webhook(event_type=event_type, payment_id=payment["id"], order_id=payment["order_id"],
                                    amount=amount or payment["amount"], currency=currency or payment["currency"],
                                    event_id=event_id, reason=reason, at=at, secret=secret)
    return api_client.post(f"{PAYMENTS}/webhooks/sandbox", raw, content_type="application/json",
                           HTTP_X_PAYMENT_SIGNATURE=signature)


@pytest.fixture
def paid(place, api_client):
    """``paid(**terms)``: an order whose sandbox payment succeeded: (order, payment as checkout rendered it)."""
    def make(**terms) -> tuple[Order, dict]:
        order = place(**terms)
        payment = checkout(order).json()
        assert webhook(api_client, "payment.succeeded", payment).json()["outcome"] == "applied"
        return order, payment

    return make


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(timezone.utc)
