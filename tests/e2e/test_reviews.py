"""Reviews through the gateway, on the real servers: both parties of a completed order review each other,
double-blind (neither review shows before the second arrives), then the gig's and the seller's rating and the
buyer's buyer_stats move; with the eligibility rules and a review taken down by staff."""

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


def review_when_allowed(gateway, author, order, rating=5, comment="Lovely work"):
    """order.completed crosses the broker before the review service lets the parties review: until then
    409 completion_pending with Retry-After, as a client would be told."""
    def attempt():
        response = gateway.post(f"{REVIEWS}/", headers=author.auth(),
                                json={"order_id": order["id"], "rating": rating, "comment": comment})
        if response.status_code == 409 and response.json()["type"].endswith(":completion_pending"):
            assert int(response.headers["retry-after"]) >= 1
            return None
        return response

    return wait_for(attempt, interval=0.2, what="order.completed to reach the review service")


def visible_to(gateway, review_id, person=None) -> bool:
    headers = person.auth() if person else {}
    return gateway.get(f"{REVIEWS}/{review_id}/", headers=headers).status_code == 200


def test_both_parties_review_and_neither_review_shows_before_the_second(platform, gateway, trade):
    seller, gig, buyer, order = trade
    assert_problem(gateway.post(f"{REVIEWS}/", headers=buyer.auth(), json={"order_id": order["id"], "rating": 9}),
                   400, field="rating")
    created = review_when_allowed(gateway, buyer, order, 4, "Good, a day late")
    assert created.status_code == 201, created.text
    by_buyer = created.json()
    assert by_buyer["status"] == "hidden" and by_buyer["direction"] == "buyer_to_seller"
    assert by_buyer["buyer"]["username"] == buyer.username
    assert_problem(gateway.post(f"{REVIEWS}/", headers=buyer.auth(), json={"order_id": order["id"], "rating": 5}), 409)
    with httpx.Client(base_url=platform.base_url, timeout=10) as client:
        stranger = platform.log_in(client, platform.register(client))
    assert_problem(gateway.post(f"{REVIEWS}/", headers=stranger.auth(), json={"order_id": order["id"], "rating": 1}),
                   403)

    # Hidden: its author alone sees it; the seller, a stranger and the public do not, nor do the ratings.
    assert visible_to(gateway, by_buyer["id"], buyer)
    assert not any(visible_to(gateway, by_buyer["id"], person) for person in (seller, stranger, None))
    assert gateway.get(f"{REVIEWS}/", params={"order_id": order["id"]}, headers=seller.auth()).json()["count"] == 0
    assert gateway.get(f"{REVIEWS}/", params={"seller_id": seller.id}).json()["count"] == 0
    assert gateway.get(f"{REVIEWS}/summary", params={"gig_id": gig["id"]}).json()["rating_count"] == 0
    assert_problem(gateway.post(f"{REVIEWS}/{by_buyer['id']}/reply", headers=seller.auth(),
                                json={"comment": "Let me see"}), 404)

    # The seller reviews the buyer: both are published together.
    of_buyer = gateway.post(f"{REVIEWS}/", headers=seller.auth(),
                            json={"order_id": order["id"], "rating": 5, "comment": "Clear brief"})
    assert of_buyer.status_code == 201, of_buyer.text
    of_buyer = of_buyer.json()
    assert of_buyer["status"] == "published" and of_buyer["direction"] == "seller_to_buyer"
    for person in (buyer, seller, stranger, None):
        assert visible_to(gateway, by_buyer["id"], person) and visible_to(gateway, of_buyer["id"], person)
    assert gateway.get(f"{REVIEWS}/summary", params={"gig_id": gig["id"]}).json()["distribution"]["4"] == 1
    assert gateway.get(f"{REVIEWS}/", params={"seller_id": seller.id}).json()["count"] == 1
    assert [r["id"] for r in gateway.get(f"{REVIEWS}/", params={"buyer_id": buyer.id}).json()["results"]] == [
        of_buyer["id"]]

    # The ratings move through review.published.
    wait_for(lambda: gateway.get(f"/api/gigs/{gig['id']}/").json()["rating_count"] == 1,
             what="review.published to reach the gig service")
    assert gateway.get(f"/api/gigs/{gig['id']}/").json()["rating_avg"] == "4.00"
    wait_for(lambda: gateway.get(f"/api/users/{seller.username}").json()["stats"]["rating_count"] == 1,
             what="review.published to reach the user service")
    wait_for(lambda: gateway.get(f"/api/users/{buyer.username}").json()["buyer_stats"] == {
        "rating_avg": "5.00", "rating_count": 1}, what="the buyer's buyer_stats")

    def told(person):
        results = gateway.get("/api/notifications/", headers=person.auth()).json()["results"]
        return [n for n in results if n["kind"] == "review.created"] or None

    assert "4 out of 5" in wait_for(lambda: told(seller), what="the seller's notification")[0]["body"]
    assert "5 out of 5" in wait_for(lambda: told(buyer), what="the buyer's notification")[0]["body"]

    reply = gateway.post(f"{REVIEWS}/{by_buyer['id']}/reply", headers=seller.auth(), json={"comment": "Thanks!"})
    assert reply.status_code == 200 and reply.json()["reply"]["comment"] == "Thanks!"
    assert_problem(gateway.post(f"{REVIEWS}/{by_buyer['id']}/reply", headers=seller.auth(),
                                json={"comment": "Again"}), 409)
    assert_problem(gateway.post(f"{REVIEWS}/", headers=seller.auth(), json={"order_id": order["id"], "rating": 1}),
                   409)


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
    published = gateway.post(f"{REVIEWS}/", headers=seller.auth(), json={"order_id": order["id"], "rating": 5})
    assert published.status_code == 201 and published.json()["status"] == "published", published.text
    wait_for(lambda: gateway.get(f"/api/gigs/{gig['id']}/").json()["rating_count"] == 2, what="the second review")
    platform.manage("reviews", "shell", "-c",
                    f"from reviews import services; services.hide_review(review_id='{created['id']}', reason='spam')")
    assert created["id"] not in [r["id"] for r in gateway.get(f"{REVIEWS}/", params={"gig_id": gig["id"]}).json()[
        "results"]]
    wait_for(lambda: gateway.get(f"/api/gigs/{gig['id']}/").json()["rating_count"] == 1,
             what="review.hidden to reach the gig service")
    wait_for(lambda: gateway.get(f"/api/users/{seller.username}").json()["stats"]["rating_count"] == 1,
             what="review.hidden to reach the user service")
    # The seller's review of that buyer still counts for them.
    wait_for(lambda: gateway.get(f"/api/users/{buyer.username}").json()["buyer_stats"]["rating_count"] == 1,
             what="review.published to reach the user service")
