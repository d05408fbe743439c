"""Issue 23's favourites and summaries through the gateway on the real servers: a saved gig shows in the caller's
list, in its count and as `is_favourite`, and leaves them when unsaved; a lower price on a saved gig notifies its
saver (gig.price_dropped); `GET /api/orders/summary` counts a buyer's and a seller's orders in every state, and
learns from the review service (review.submitted) that the buyer has reviewed."""

from __future__ import annotations

import httpx
import pytest

from .support import assert_problem, become_seller, completed_order, paid_order, wait_for
from .test_payments import place

GIGS = "/api/gigs"


def one_day_gig(gateway, seller, title: str, price: str = "50.00") -> dict:
    """A gig delivered in one day: an order paid now is due within the next 24 hours."""
    response = gateway.post(f"{GIGS}/", headers=seller.auth(), json={
        "title": title, "category": "copywriting", "tags": ["e2e"], "status": "active",
        "description": f"{title}: researched, written and revised until you are happy with it.",
        "packages": [{"tier": "basic", "title": "Standard job", "description": "", "price": price,
                      "currency": "USD", "delivery_days": 1, "revisions": 1}]})
    assert response.status_code == 201, response.text
    return response.json()


@pytest.fixture(scope="module")
def seller_with_gig(platform):
    with httpx.Client(base_url=platform.base_url, timeout=10) as client:
        seller = become_seller(platform, client, platform.log_in(client, platform.register(client)))
        gig = one_day_gig(client, seller, "I will write the copy of your landing page")
    return seller, gig


def gig_as(gateway, gig, user=None) -> dict:
    response = gateway.get(f"{GIGS}/{gig['id']}/", headers=user.auth() if user else {})
    assert response.status_code == 200, response.text
    return response.json()


def saved(gateway, user) -> list[dict]:
    response = gateway.get(f"{GIGS}/favourites/", headers=user.auth())
    assert response.status_code == 200, response.text
    return response.json()["results"]


def test_a_saved_gig_is_in_the_list_and_the_count_until_it_is_unsaved(platform, gateway, seller_with_gig):
    seller, gig = seller_with_gig
    buyer, stranger = (platform.log_in(gateway, platform.register(gateway)) for _ in range(2))
    before = gig_as(gateway, gig)["favourites_count"]

    for _ in range(2):  # idempotent
        assert gateway.put(f"{GIGS}/{gig['id']}/favourite", headers=buyer.auth()).status_code == 204
    [listed] = saved(gateway, buyer)
    assert listed["id"] == gig["id"] and listed["is_favourite"] is True
    assert listed["favourites_count"] == before + 1
    assert gig_as(gateway, gig, buyer)["is_favourite"] is True
    assert gig_as(gateway, gig, stranger)["is_favourite"] is False
    anonymous = gig_as(gateway, gig)
    assert anonymous["is_favourite"] is None and anonymous["favourites_count"] == before + 1
    browsed = gateway.get(f"{GIGS}/", headers=buyer.auth(), params={"seller": seller.username}).json()["results"]
    assert [(row["id"], row["is_favourite"]) for row in browsed] == [(gig["id"], True)]

    for _ in range(2):
        assert gateway.delete(f"{GIGS}/{gig['id']}/favourite", headers=buyer.auth()).status_code == 204
    assert saved(gateway, buyer) == []
    after = gig_as(gateway, gig, buyer)
    assert after["is_favourite"] is False and after["favourites_count"] == before

    assert_problem(gateway.put(f"{GIGS}/00000000-0000-4000-8000-000000000000/favourite", headers=buyer.auth()), 404)
    assert gateway.get(f"{GIGS}/favourites/").status_code == 401


def test_a_lower_price_on_a_saved_gig_notifies_its_saver(platform, gateway, seller_with_gig):
    seller, _ = seller_with_gig
    gig = one_day_gig(gateway, seller, "I will write the newsletter of your shop", price="80.00")
    saver, stranger = (platform.log_in(gateway, platform.register(gateway)) for _ in range(2))
    assert gateway.put(f"{GIGS}/{gig['id']}/favourite", headers=saver.auth()).status_code == 204
    cheaper = [{**gig["packages"][0], "price": "60.00"}]
    changed = gateway.patch(f"{GIGS}/{gig['id']}/", headers=seller.auth(), json={"packages": cheaper})
    assert changed.status_code == 200 and changed.json()["price_from"] == "60.00", changed.text

    def price_drop_notification():
        results = gateway.get("/api/notifications/", headers=saver.auth()).json()["results"]
        return next((row for row in results if row["kind"] == "gig.price_dropped"), None)

    told = wait_for(price_drop_notification, what="gig.price_dropped to reach the notification service")
    assert told["data"]["gig_id"] == gig["id"] and told["data"]["resource"] == f"{GIGS}/{gig['id']}/"
    assert (told["data"]["old_price"], told["data"]["new_price"]) == ("80.00", "60.00")
    assert "60.00 USD" in told["body"]
    kinds = {row["kind"] for row in gateway.get("/api/notifications/", headers=stranger.auth()).json()["results"]}
    assert "gig.price_dropped" not in kinds
    assert "gig.price_dropped" not in {row["kind"] for row in gateway.get(
        "/api/notifications/", headers=seller.auth()).json()["results"]}


def summary(gateway, user) -> dict:
    response = gateway.get("/api/orders/summary", headers=user.auth())
    assert response.status_code == 200, response.text
    return response.json()


def test_the_summaries_count_a_buyers_and_a_sellers_orders(platform, gateway):
    seller = become_seller(platform, gateway, platform.log_in(gateway, platform.register(gateway)))
    buyer = platform.log_in(gateway, platform.register(gateway))
    gig = one_day_gig(gateway, seller, "I will write the about page of your studio")  # 50.00: 52.75 with the fee

    place(gateway, buyer, gig)  # pending_payment
    due_soon = paid_order(platform, gateway, buyer, place(gateway, buyer, gig).json())
    late = paid_order(platform, gateway, buyer, place(gateway, buyer, gig).json())
    with platform.database("orders") as db:  # the clock moves on for this one
        db.execute("UPDATE orders_order SET due_at = now() - interval '1 minute' WHERE id = %s", (late["id"],))
    delivered = paid_order(platform, gateway, buyer, place(gateway, buyer, gig).json())
    assert gateway.post(f"/api/orders/{delivered['id']}/deliver", headers=seller.auth(),
                        json={"message": "Here it is."}).status_code == 200
    disputed = paid_order(platform, gateway, buyer, place(gateway, buyer, gig).json())
    assert gateway.post(f"/api/orders/{disputed['id']}/dispute", headers=buyer.auth(),
                        json={"reason": "Nothing has arrived"}).status_code == 201
    cancelled = place(gateway, buyer, gig).json()
    assert gateway.post(f"/api/orders/{cancelled['id']}/cancel", headers=buyer.auth(),
                        json={"reason": "Ordered twice"}).status_code == 200
    completed = completed_order(platform, gateway, buyer, seller, gig)
    assert due_soon["status"] == "in_progress"

    assert summary(gateway, buyer) == {
        "as_buyer": {"active": 5, "awaiting_your_review": 1, "completed": 1, "cancelled": 1,
                     "spent": [{"amount": "263.75", "currency": "USD"}]},  # five paid orders of 52.75
        "as_seller": {"active": 0, "due_within_24h": 0, "late": 0, "delivered": 0, "completed": 0, "disputed": 0}}
    assert summary(gateway, seller) == {
        "as_buyer": {"active": 0, "awaiting_your_review": 0, "completed": 0, "cancelled": 0, "spent": []},
        "as_seller": {"active": 4, "due_within_24h": 1, "late": 1, "delivered": 1, "completed": 1, "disputed": 1}}

    # The seller's review of the buyer leaves the buyer's own review owed; the buyer's review settles it, once
    # the review service's review.submitted has reached the order service.
    def review(author):
        response = gateway.post("/api/reviews/", headers=author.auth(),
                                json={"order_id": completed["id"], "rating": 5, "comment": "Smooth."})
        return response if response.status_code == 201 else None

    wait_for(lambda: review(seller), interval=0.2, what="order.completed to reach the review service")
    assert summary(gateway, buyer)["as_buyer"]["awaiting_your_review"] == 1
    wait_for(lambda: review(buyer), interval=0.2, what="the buyer's review")
    wait_for(lambda: summary(gateway, buyer)["as_buyer"]["awaiting_your_review"] == 0,
             what="review.submitted to reach the order service")
