"""Fixtures of the review service's tests: completed orders as order.completed told them, parties with tokens."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.utils import timezone

from marketplace_libs.testing import deliver, event
from marketplace_libs.times import iso_utc

REVIEWS = "/api/reviews"


@dataclass
class Party:
    id: str
    username: str
    client: object


@pytest.fixture
def party(client_for, db):
    def make() -> Party:
        user_id = str(uuid.uuid4())
        username = f"u{user_id[:8]}"
        return Party(user_id, username, client_for(user_id=user_id, username=username))

    return make


def completed_order(buyer_id: str, seller_id: str, gig_id: str | None = None, *, days_ago: float = 0) -> dict:
    completed_at = timezone.now() - timedelta(days=days_ago)
    return {"order_id": str(uuid.uuid4()), "gig_id": gig_id or str(uuid.uuid4()), "package": "basic",
            "title": "A gig", "buyer_id": buyer_id, "seller_id": seller_id, "price": "40.00", "currency": "USD",
            "completed_at": iso_utc(completed_at), "by": "buyer"}


@pytest.fixture
def sale(party):
    """A buyer and a seller with one completed order between them (``.order``)."""
    buyer, seller = party(), party()
    order = completed_order(buyer.id, seller.id)
    deliver(event("order.completed", order))
    return buyer, seller, order


def review(author: Party, order: dict, rating=5, comment="Great work") -> dict:
    response = author.client.post(f"{REVIEWS}/", {"order_id": order["order_id"], "rating": rating,
                                                  "comment": comment}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def reviewed_both_ways(buyer: Party, seller: Party, order: dict, rating=5, comment="Great work",
                       buyer_rating=5) -> dict:
    """The buyer's review, published by the seller's review of the buyer."""
    created = review(buyer, order, rating, comment)
    review(seller, order, buyer_rating, "A pleasure to work with")
    return created



