"""An order's whole life through the gateway, on the real servers: from a seller's gig to a completed
order counted in the seller's and the gig's stats."""

from __future__ import annotations

import pytest

from .support import assert_problem, become_seller, paid_order, publish_gig, wait_for

ORDERS = "/api/orders"


@pytest.fixture(scope="module")
def seller_with_gig(platform):
    import httpx

    with httpx.Client(base_url=platform.base_url, timeout=10) as client:
        seller = become_seller(platform, client, platform.log_in(client, platform.register(client)))
        gig = publish_gig(client, seller, "I will write the copy of your landing page", price="60.00")
    return seller, gig


def place(gateway, buyer, gig) -> dict:
    """Place an order once the order service has heard of the gig (gig.created crosses the broker)."""
    def attempt():
        response = gateway.post(f"{ORDERS}/", headers=buyer.auth(),
                                json={"gig_id": gig["id"], "package": "basic", "requirements": "For a bakery."})
        return response if response.status_code == 201 else None

    return wait_for(attempt, interval=0.2, what="gig.created to reach the order service").json()


def test_from_gig_to_completed_order_through_the_gateway(platform, gateway, session, seller_with_gig):
    seller, gig = seller_with_gig
    order = place(gateway, session, gig)
    assert order["price"] == "60.00" and order["status"] == "pending_payment"
    url = f"{ORDERS}/{order['id']}"

    assert (order["service_fee"], order["total"], order["payment_status"]) == ("3.30", "63.30", "unpaid")
    assert "seller_earnings" not in order
    assert gateway.get(url + "/", headers=seller.auth()).json()["seller_earnings"] == "48.00"

    paid = paid_order(platform, gateway, session, order)
    assert paid["payment_status"] == "paid" and paid["due_at"]

    assert_problem(gateway.post(f"{url}/accept", headers=session.auth()), 409)
    assert_problem(gateway.post(f"{url}/deliver", headers=session.auth(), json={"message": "me?"}), 403)
    assert gateway.post(f"{url}/deliver", headers=seller.auth(), json={"message": "Draft"}).json()["status"] == "delivered"
    assert gateway.post(f"{url}/request-revision", headers=session.auth(),
                        json={"message": "Shorter headline"}).json()["status"] == "in_progress"
    gateway.post(f"{url}/deliver", headers=seller.auth(), json={"message": "Final"})
    assert_problem(gateway.post(f"{url}/request-revision", headers=session.auth(), json={"message": "More"}), 409)
    done = gateway.post(f"{url}/accept", headers=session.auth())
    assert done.status_code == 200 and done.json()["status"] == "completed"
    assert [entry["type"] for entry in done.json()["timeline"]] == [
        "placed", "paid", "delivered", "revision_requested", "delivered", "completed"]

    stranger = platform.log_in(gateway, platform.register(gateway))
    assert_problem(gateway.get(url + "/", headers=stranger.auth()), 404)
    assert_problem(gateway.post(f"{url}/cancel", headers=stranger.auth(), json={"reason": "x"}), 404)

    # order.completed reaches the user and gig services.
    wait_for(lambda: gateway.get(f"/api/users/{seller.username}").json()["stats"]["orders_completed"] == 1,
             what="order.completed to reach the user service")
    wait_for(lambda: gateway.get(f"/api/gigs/{gig['id']}/").json()["orders_count"] == 1,
             what="order.completed to reach the gig service")


def test_a_buyer_cancels_before_paying_and_a_seller_cannot_buy_their_own(platform, gateway, session, seller_with_gig):
    seller, gig = seller_with_gig
    order = place(gateway, session, gig)
    cancelled = gateway.post(f"{ORDERS}/{order['id']}/cancel", headers=session.auth(), json={"reason": "Wrong gig"})
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert_problem(gateway.post(f"{ORDERS}/", headers=seller.auth(), json={"gig_id": gig["id"], "package": "basic"}),
                   403)
    assert_problem(gateway.post(f"{ORDERS}/", headers=session.auth(),
                                json={"gig_id": gig["id"], "package": "basic", "price": "1.00"}), 400, field="price")
    mine = gateway.get(f"{ORDERS}/", headers=session.auth(), params={"role": "buyer", "status": "cancelled"}).json()
    assert order["id"] in [row["id"] for row in mine["results"]]
