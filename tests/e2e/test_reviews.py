"""Reviews through the gateway, on the real servers: from a completed order to the gig's and the
seller's rating, with the eligibility rules and a hidden review taken out again."""

from __future__ import annotations

import uuid

import httpx
import pytest

from .support import assert_problem, become_seller, completed_order, publish_gig, wait_for

REVIEWS = "/api/reviews"


@pytest.fixture(scope="module")
def trade(platform):
    """A seller, their gig, a buyer and a completed order between them."""
    with httpx.Client(base_url=platform.base_url, timeout=10) as client:
        seller = become_seller(platform, client, platform.log_in(client, platform.register(client)))
        gig = publish_gig(client, seller, f"I will write a product story {uuid.uuid4().hex[:6]}")
        buyer = platform.log_in(client, platform.register(client))
        order = completed_order(platform, client, buyer, seller, gig)
    return seller, gig, buyer, order


def review_when_allowed(gateway, buyer, order, rating=5, comment="Lovely work"):
    """order.completed crosses the broker before the review service lets the buyer review: until then
    409 completion_pending with Retry-After, as a client would be told."""
    def attempt():
        response = gateway.post(f"{REVIEWS}/", headers=buyer.auth(),
                                json={"order_id": order["id"], "rating": rating, "comment": comment})
        if response.status_code == 409 and response.json()["type"].endswith(":completion_pending"):
            assert int(response.headers["retry-after"]) >= 1
            return None
        return response

    return wait_for(attempt, interval=0.2, what="order.completed to reach the review service")


def test_a_completed_order_is_reviewed_once_and_moves_the_ratings(platform, gateway, trade):
    seller, gig, buyer, order = trade
    assert_problem(gateway.post(f"{REVIEWS}/", headers=buyer.auth(), json={"order_id": order["id"], "rating": 9}),
                   400, field="rating")
    created = review_when_allowed(gateway, buyer, order, 4)
    assert created.status_code == 201, created.text
    assert_problem(gateway.post(f"{REVIEWS}/", headers=seller.auth(),
                                json={"order_id": order["id"], "rating": 5}), 403)
    assert created.json()["buyer"]["username"] == buyer.username
    assert_problem(gateway.post(f"{REVIEWS}/", headers=buyer.auth(), json={"order_id": order["id"], "rating": 5}), 409)

    assert gateway.get(f"{REVIEWS}/summary", params={"gig_id": gig["id"]}).json()["distribution"]["4"] == 1
    assert gateway.get(f"{REVIEWS}/", params={"seller_id": seller.id}).json()["count"] == 1
    wait_for(lambda: gateway.get(f"/api/gigs/{gig['id']}/").json()["rating_count"] == 1,
             what="review.created to reach the gig service")
    assert gateway.get(f"/api/gigs/{gig['id']}/").json()["rating_avg"] == "4.00"
    wait_for(lambda: gateway.get(f"/api/users/{seller.username}").json()["stats"]["rating_count"] == 1,
             what="review.created to reach the user service")

    reply = gateway.post(f"{REVIEWS}/{created.json()['id']}/reply", headers=seller.auth(), json={"comment": "Thanks!"})
    assert reply.status_code == 200 and reply.json()["reply"]["comment"] == "Thanks!"
    assert_problem(gateway.post(f"{REVIEWS}/{created.json()['id']}/reply", headers=seller.auth(),
                                json={"comment": "Again"}), 409)


def test_an_order_not_known_as_completed_is_a_409_to_retry_later(platform, gateway, session):
    body = assert_problem(gateway.post(f"{REVIEWS}/", headers=session.auth(),
                                       json={"order_id": str(uuid.uuid4()), "rating": 5}), 409)
    assert body["type"] == "urn:marketplace:problem:completion_pending"
    assert_problem(gateway.post(f"{REVIEWS}/", json={"order_id": str(uuid.uuid4()), "rating": 5}), 401)


def test_staff_hiding_a_review_takes_it_out_everywhere(platform, gateway, trade):
    seller, gig, _, _ = trade
    with httpx.Client(base_url=platform.base_url, timeout=10) as client:
        buyer = platform.log_in(client, platform.register(client))
        order = completed_order(platform, client, buyer, seller, gig)
    created = review_when_allowed(gateway, buyer, order, 1, "Terrible, contact me at spam.example").json()
    wait_for(lambda: gateway.get(f"/api/gigs/{gig['id']}/").json()["rating_count"] == 2, what="the second review")
    platform.manage("reviews", "shell", "-c",
                    f"from reviews import services; services.hide_review(review_id='{created['id']}', reason='spam')")
    assert created["id"] not in [r["id"] for r in gateway.get(f"{REVIEWS}/", params={"gig_id": gig["id"]}).json()[
        "results"]]
    wait_for(lambda: gateway.get(f"/api/gigs/{gig['id']}/").json()["rating_count"] == 1,
             what="review.hidden to reach the gig service")
    wait_for(lambda: gateway.get(f"/api/users/{seller.username}").json()["stats"]["rating_count"] == 1,
             what="review.hidden to reach the user service")
