"""Issue 22's order part through the gateway on the real servers: an extension moves `due_at`; a late order is
cancelled by its buyer and refunded; a dispute freezes an order, and staff's three outcomes in the orders admin
end it with the right money movement (the ledger through /api/payments/ledger, `reconcile` after each)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import httpx
import pytest

from .support import assert_problem, become_seller, order_of, paid_order, publish_gig, staff_admin, \
    wait_for
from .test_payments import kinds_of_notifications, place, reconciled, status_becomes

ORDERS = "/api/orders"


@pytest.fixture(scope="module")
def seller_with_gig(platform):
    with httpx.Client(base_url=platform.base_url, timeout=10) as client:
        seller = become_seller(platform, client, platform.log_in(client, platform.register(client)))
        gig = publish_gig(client, seller, "I will narrate your audiobook chapter", price="100.00")
    return seller, gig


@pytest.fixture
def in_progress(platform, gateway, seller_with_gig):
    """A new buyer's order of the 100.00 gig (total 105.50, the seller earns 80.00), paid."""
    def make():
        buyer = platform.log_in(gateway, platform.register(gateway))
        order = place(gateway, buyer, seller_with_gig[1]).json()
        return buyer, paid_order(platform, gateway, buyer, order)

    return make


def _iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def movements(gateway, user, order) -> set[tuple[str, str, str]]:
    rows = gateway.get("/api/payments/ledger", headers=user.auth(), params={"page_size": 100}).json()["results"]
    return {(row["kind"], row["account"], row["amount"]) for row in rows if row["order_id"] == order["id"]}


def resolve(platform, admin: httpx.Client, order_id: str, dispute_id: str, **form) -> httpx.Response:
    """Staff's decision on the dispute's change page in the orders admin, through the gateway."""
    page = f"/admin/orders/orders/dispute/{dispute_id}/change/"
    assert admin.get(page).status_code == 200
    return admin.post(page, data={**form, "csrfmiddlewaretoken": admin.cookies.get("orders_csrftoken")},
                      headers={"Referer": f"{platform.base_url}{page}"})


def test_an_accepted_extension_moves_due_at_and_a_declined_one_cannot_be_accepted(gateway, seller_with_gig,
                                                                                   in_progress):
    seller = seller_with_gig[0]
    buyer, order = in_progress()
    url = f"{ORDERS}/{order['id']}"
    asked = gateway.post(f"{url}/extensions", headers=seller.auth(), json={"days": 2, "reason": "Studio booked"})
    assert asked.status_code == 201, asked.text
    assert_problem(gateway.post(f"{url}/extensions", headers=seller.auth(), json={"days": 1, "reason": "x"}), 409)
    assert_problem(gateway.post(f"{url}/extensions", headers=seller.auth(), json={"days": 2.5, "reason": "x"}), 400,
                   field="days")
    accepted = gateway.post(f"{url}/extensions/{asked.json()['id']}/accept", headers=buyer.auth())
    assert accepted.status_code == 200, accepted.text
    assert _iso(accepted.json()["due_at"]) - _iso(order["due_at"]) == timedelta(days=2)
    wait_for(lambda: "order.extension_requested" in kinds_of_notifications(gateway, buyer), what="the buyer told")
    wait_for(lambda: "order.extension_answered" in kinds_of_notifications(gateway, seller), what="the seller told")

    again = gateway.post(f"{url}/extensions", headers=seller.auth(), json={"days": 5, "reason": "More"}).json()
    assert gateway.post(f"{url}/extensions/{again['id']}/decline", headers=buyer.auth()).status_code == 200
    assert_problem(gateway.post(f"{url}/extensions/{again['id']}/accept", headers=buyer.auth()), 409)
    assert order_of(gateway, buyer, order)["due_at"] == accepted.json()["due_at"]


def test_a_late_order_is_cancelled_by_its_buyer_and_refunded_in_full(platform, gateway, in_progress):
    buyer, order = in_progress()
    url = f"{ORDERS}/{order['id']}"
    assert_problem(gateway.post(f"{url}/cancel", headers=buyer.auth(), json={"reason": "Too slow"}), 409)
    with platform.database("orders") as db:  # arrange time: the order's due time has passed
        db.execute("UPDATE orders_order SET due_at = now() - interval '1 minute' WHERE id = %s", (order["id"],))
    assert order_of(gateway, buyer, order)["late"] is True
    cancelled = gateway.post(f"{url}/cancel", headers=buyer.auth(), json={"reason": "It is late"})
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled", cancelled.text
    assert status_becomes(gateway, buyer, order, "refunded", "payment_status")["refunded_total"] == "105.50"
    assert movements(gateway, buyer, order) == {("payment", "buyer", "-105.50"), ("refund", "buyer", "105.50")}
    assert "Reconciled" in reconciled(platform)


def test_a_dispute_freezes_the_order_and_each_outcome_ends_it_with_its_money(platform, gateway, seller_with_gig,
                                                                           in_progress):
    seller = seller_with_gig[0]
    stranger = platform.log_in(gateway, platform.register(gateway))
    orders = {outcome: in_progress() for outcome in ("refund_buyer", "release_to_seller", "partial_refund")}
    disputes = {}
    for outcome, (buyer, order) in orders.items():
        url = f"{ORDERS}/{order['id']}"
        if outcome != "refund_buyer":  # one disputed in progress, the others once delivered
            assert gateway.post(f"{url}/deliver", headers=seller.auth(), json={"message": "Done"}).status_code == 200
        assert_problem(gateway.post(f"{url}/dispute", headers=stranger.auth(), json={"reason": "x"}), 404)
        opened = gateway.post(f"{url}/dispute", headers=buyer.auth(),
                              json={"reason": "Not what was ordered", "details": "The voice is wrong."})
        assert opened.status_code == 201, opened.text
        disputes[outcome] = opened.json()["id"]
        # Frozen: no step, no second dispute, and staff's plain cancel refuses it too.
        assert order_of(gateway, seller, order)["status"] == "disputed"
        assert_problem(gateway.post(f"{url}/deliver", headers=seller.auth(), json={"message": "x"}), 409)
        assert_problem(gateway.post(f"{url}/accept", headers=buyer.auth()), 409)
        assert_problem(gateway.post(f"{url}/dispute", headers=seller.auth(), json={"reason": "x"}), 409)
        assert_problem(gateway.get(f"{url}/", headers=stranger.auth()), 404)
    wait_for(lambda: "order.dispute_opened" in kinds_of_notifications(gateway, seller), what="the seller told")

    with staff_admin(platform) as admin:
        changelist = "/admin/orders/orders/order/"
        assert admin.get(changelist).status_code == 200
        cancelling = admin.post(changelist, data={
            "action": "cancel_and_refund", "_selected_action": [order["id"] for _, order in orders.values()],
            "csrfmiddlewaretoken": admin.cookies.get("orders_csrftoken")},
            headers={"Referer": f"{platform.base_url}{changelist}"})
        assert cancelling.status_code == 302, cancelling.text[:500]
        assert {order_of(gateway, buyer, order)["status"] for buyer, order in orders.values()} == {"disputed"}

        buyer, order = orders["partial_refund"]
        refused = resolve(platform, admin, order["id"], disputes["partial_refund"], outcome="partial_refund",
                          refund_amount="105.50")  # all of it is refund_buyer
        assert refused.status_code == 200 and re.search(r"less than\s+105\.50", refused.text)
        assert order_of(gateway, buyer, order)["status"] == "disputed"
        for outcome, form in (("refund_buyer", {}), ("release_to_seller", {}),
                              ("partial_refund", {"refund_amount": "30.00"})):
            buyer, order = orders[outcome]
            answer = resolve(platform, admin, order["id"], disputes[outcome], outcome=outcome,
                             resolution_note="Decided on the evidence.", **form)
            assert answer.status_code == 302, answer.text[:2000]

    buyer, order = orders["refund_buyer"]
    done = status_becomes(gateway, buyer, order, "refunded", "payment_status")
    assert (done["status"], done["dispute"]["outcome"], done["dispute"]["status"]) == (
        "cancelled", "refund_buyer", "resolved")
    assert movements(gateway, buyer, order) == {("payment", "buyer", "-105.50"), ("refund", "buyer", "105.50")}
    assert movements(gateway, seller, order) == set()

    buyer, order = orders["release_to_seller"]
    assert order_of(gateway, buyer, order)["status"] == "completed"
    wait_for(lambda: ("earning", "seller_pending", "80.00") in movements(gateway, seller, order),
             what="the seller's earning")
    assert movements(gateway, buyer, order) == {("payment", "buyer", "-105.50")}

    buyer, order = orders["partial_refund"]
    done = status_becomes(gateway, buyer, order, "partially_refunded", "payment_status")
    assert (done["status"], done["refunded_total"], done["dispute"]["refund_amount"]) == ("completed", "30.00",
                                                                                          "30.00")
    assert movements(gateway, buyer, order) == {("payment", "buyer", "-105.50"), ("refund", "buyer", "30.00")}
    # The 30.00 comes out of the seller's 80.00 first.
    wait_for(lambda: ("earning", "seller_pending", "50.00") in movements(gateway, seller, order),
             what="the seller's earning after the partial refund")
    wait_for(lambda: {"order.completed", "order.cancelled"} <= kinds_of_notifications(gateway, seller),
             what="the seller told of the outcomes")
    assert "Reconciled" in reconciled(platform)
