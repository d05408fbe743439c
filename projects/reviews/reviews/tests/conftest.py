"""Fixtures of the review service's tests: completed orders as order.completed told them, parties with tokens."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest

from marketplace_libs.testing import deliver, event

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






def completed_order(buyer_id: str, seller_id: str, gig_id: str | None = None) -> dict:
    return {"order_id": str(uuid.uuid4()), "gig_id": gig_id or str(uuid.uuid4()), "package": "basic",
            "title": "A gig", "buyer_id": buyer_id, "seller_id": seller_id, "price": "40.00", "currency": "USD",
            "completed_at": "2026-05-19T18:30:00Z", "by": "buyer"}


@pytest.fixture
def sale(party):
    """A buyer and a seller with one completed order between them (``.order``)."""
    buyer, seller = party(), party()
    order = completed_order(buyer.id, seller.id)
    deliver(event("order.completed", order))
    return buyer, seller, order


def review(buyer: Party, order: dict, rating=5, comment="Great work") -> dict:
    response = buyer.client.post(f"{REVIEWS}/", {"order_id": order["order_id"], "rating": rating,
                                                 "comment": comment}, format="json")
    assert response.status_code == 201, response.content
    return response.json()



