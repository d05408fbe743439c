"""Delivery extensions, the buyer's cancellation of a late order, and disputes with their three outcomes."""

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from marketplace_libs.errors import DomainError
from marketplace_libs.testing import problem, published
from orders import extensions, services
from orders.models import Dispute, Extension, Order

from .conftest import ORDERS, deliver_event, paid, place, refund_of


def _url(order, tail=""):
    return f"{ORDERS}/{order['id']}/{tail}"


def _ask(seller, order, days=3, reason="The client asked for a second colour set."):
    return seller.client.post(_url(order, "extensions"), {"days": days, "reason": reason}, format="json")


# --- extensions ---------------------------------------------------------------------------------------------

def test_an_accepted_extension_moves_due_at_by_its_days(buyer, seller, gig):
    order = paid(buyer, gig)
    due = Order.objects.get(pk=order["id"]).due_at
    asked = _ask(seller, order)
    assert asked.status_code == 201, asked.content
    extension = asked.json()
    assert (extension["days"], extension["status"]) == (3, "pending") and set(extension) >= {"id", "reason",
                                                                                            "created_at"}
    assert buyer.client.get(_url(order)).json()["extension"]["status"] == "pending"
    [requested] = published("order.extension_requested")
    assert (requested["days"], requested["extension_id"]) == (3, extension["id"])

    answer = buyer.client.post(_url(order, f"extensions/{extension['id']}/accept"))
    assert answer.status_code == 200, answer.content
    assert answer.json()["extension"]["status"] == "accepted"
    assert Order.objects.get(pk=order["id"]).due_at == due + timedelta(days=3)
    assert [entry["type"] for entry in answer.json()["timeline"]][-2:] == ["extension_requested", "extension_accepted"]
    [answered] = published("order.extension_answered")
    assert answered["status"] == "accepted"


def test_extension_requests_are_refused_to_the_wrong_party_state_or_input(buyer, seller, party, gig):
    order = paid(buyer, gig)
    unpaid = place(buyer, gig)
    stranger = party()
    for days in (0, 31, 2.5, "three", None):
        problem(_ask(seller, order, days=days), 400)
    problem(seller.client.post(_url(order, "extensions"), {"days": 3, "reason": "x", "extra": 1}, format="json"), 400)
    problem(buyer.client.post(_url(order, "extensions"), {"days": 3, "reason": "x"}, format="json"), 403)
    problem(stranger.client.post(_url(order, "extensions"), {"days": 3, "reason": "x"}, format="json"), 404)
    problem(_ask(seller, unpaid), 409)
    extension = _ask(seller, order).json()
    problem(_ask(seller, order), 409)  # one pending at a time
    problem(seller.client.post(_url(order, f"extensions/{extension['id']}/accept")), 403)
    problem(stranger.client.post(_url(order, f"extensions/{extension['id']}/accept")), 404)
    assert Extension.objects.count() == 1


def test_accepting_a_declined_extension_is_a_conflict_and_changes_nothing(buyer, seller, gig):
    order = paid(buyer, gig)
    due = Order.objects.get(pk=order["id"]).due_at
    extension = _ask(seller, order).json()
    declined = buyer.client.post(_url(order, f"extensions/{extension['id']}/decline"))
    assert declined.status_code == 200 and declined.json()["extension"]["status"] == "declined"
    problem(buyer.client.post(_url(order, f"extensions/{extension['id']}/accept")), 409)
    assert Order.objects.get(pk=order["id"]).due_at == due
    assert [event["status"] for event in published("order.extension_answered")] == ["declined"]
    assert _ask(seller, order, days=1).status_code == 201  # a new request after the answer


@pytest.mark.django_db(transaction=True)
def test_two_extension_requests_at_once_one_wins(buyer, seller, gig):
    order = paid(buyer, gig)

    def attempt(days):
        try:
            extensions.request_extension(order_id=order["id"], user_id=seller.id, days=days, reason="more time")
            return "won"
        except DomainError as error:
            return error.code
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=10) as pool:
        outcomes = list(pool.map(attempt, range(1, 11)))
    assert outcomes.count("won") == 1 and outcomes.count("conflict") == 9
    assert Extension.objects.filter(status="pending").count() == 1
    assert len(published("order.extension_requested")) == 1


# --- late cancellation -----------------------------------------------------------------------------------

def test_the_buyer_cancels_a_late_order_with_a_full_refund(buyer, seller, gig):
    order = paid(buyer, gig)
    problem(buyer.client.post(_url(order, "cancel"), {"reason": "Too slow"}, format="json"), 409)  # not late yet
    Order.objects.filter(pk=order["id"]).update(due_at=timezone.now() - timedelta(minutes=1))
    cancelled = buyer.client.post(_url(order, "cancel"), {"reason": "It is late"}, format="json")
    assert cancelled.status_code == 200, cancelled.content
    assert cancelled.json()["status"] == "cancelled"
    assert "cancelled_late" in [entry["type"] for entry in cancelled.json()["timeline"]]
    [event] = published("order.cancelled")
    assert (event["by"], event["refunded"]) == ("buyer", True)


def test_a_late_but_delivered_order_is_not_cancelled_by_the_buyer(buyer, seller, gig):
    order = paid(buyer, gig)
    services.deliver(order_id=order["id"], user_id=seller.id, message="Done")
    Order.objects.filter(pk=order["id"]).update(due_at=timezone.now() - timedelta(days=1))
    problem(buyer.client.post(_url(order, "cancel"), {"reason": "late"}, format="json"), 409)


# --- disputes -----------------------------------------------------------------------------------------------

def _dispute(user, order, reason="Not what was ordered", **extra):
    return user.client.post(_url(order, "dispute"), {"reason": reason, "details": "The logo is red.", **extra},
                            format="json")


def test_a_dispute_freezes_the_order(buyer, seller, gig, settings):
    order = paid(buyer, gig)
    services.deliver(order_id=order["id"], user_id=seller.id, message="Done")
    opened = _dispute(buyer, order)
    assert opened.status_code == 201, opened.content
    dispute = opened.json()
    assert (dispute["opened_by"], dispute["status"], dispute["outcome"], dispute["refund_amount"]) == (
        buyer.id, "open", None, None)
    seen = seller.client.get(_url(order)).json()
    assert seen["status"] == "disputed" and seen["dispute"]["id"] == dispute["id"]
    assert published("order.dispute_opened")[0]["opened_by"] == buyer.id
    # Nothing moves it: no party step, no staff cancel, no auto-completion.
    problem(buyer.client.post(_url(order, "accept")), 409)
    problem(buyer.client.post(_url(order, "request-revision"), {"message": "again"}, format="json"), 409)
    problem(seller.client.post(_url(order, "deliver"), {"message": "again"}, format="json"), 409)
    problem(buyer.client.post(_url(order, "cancel"), {"reason": "x"}, format="json"), 409)
    problem(_dispute(seller, order), 409)
    with pytest.raises(DomainError):
        services.cancel_by_staff(order_id=order["id"], staff_username="staff", reason="x")
    settings.ORDER_AUTOCOMPLETE_DAYS = 0
    assert services.auto_complete_delivered_orders(now=timezone.now() + timedelta(days=30)) == 0
    assert Order.objects.get(pk=order["id"]).status == "disputed"
    assert not published("order.completed")


def test_disputes_are_refused_on_finished_or_unpaid_orders_and_hidden_from_others(buyer, seller, party, gig):
    unpaid, completed, cancelled, open_order = place(buyer, gig), paid(buyer, gig), paid(buyer, gig), paid(buyer, gig)
    services.deliver(order_id=completed["id"], user_id=seller.id, message="Done")
    services.accept(order_id=completed["id"], user_id=buyer.id)
    services.cancel(order_id=cancelled["id"], user_id=seller.id, reason="busy")
    for order in (unpaid, completed, cancelled):
        problem(_dispute(buyer, order), 409)
    stranger = party()
    problem(_dispute(stranger, open_order), 404)
    problem(stranger.client.get(_url(open_order)), 404)
    problem(_dispute(seller, open_order, reason=""), 400)
    problem(_dispute(seller, open_order, file_ids=["not-a-uuid"]), 400)
    assert _dispute(seller, open_order).status_code == 201  # the seller may open one too
    assert Dispute.objects.count() == 1


def _disputed(buyer, seller, gig):
    order = paid(buyer, gig)
    _dispute(buyer, order)
    return order


def test_refund_buyer_cancels_the_order_and_the_payment_service_refunds_it(buyer, seller, gig, staff_admin_client):
    order = _disputed(buyer, seller, gig)
    dispute = Dispute.objects.get(order_id=order["id"])
    page = f"/admin/orders/orders/dispute/{dispute.pk}/change/"
    assert staff_admin_client.get(page).status_code == 200
    answer = staff_admin_client.post(page, {"outcome": "refund_buyer", "resolution_note": "Never delivered."})
    assert answer.status_code == 302, answer.content.decode()[:2000]
    seen = buyer.client.get(_url(order)).json()
    assert seen["status"] == "cancelled"
    assert (seen["dispute"]["status"], seen["dispute"]["outcome"], seen["dispute"]["refund_amount"]) == (
        "resolved", "refund_buyer", "42.20")
    assert "dispute_resolved" in [entry["type"] for entry in seen["timeline"]]
    [event] = published("order.cancelled")
    assert (event["by"], event["refunded"]) == ("staff", True)
    # A resolved dispute is a record: its page no longer changes anything.
    assert staff_admin_client.post(page, {"outcome": "release_to_seller"}).status_code == 403


def test_release_to_seller_completes_the_order(buyer, seller, gig, staff_admin_client):
    order = _disputed(buyer, seller, gig)
    dispute = Dispute.objects.get(order_id=order["id"])
    answer = staff_admin_client.post(f"/admin/orders/orders/dispute/{dispute.pk}/change/",
                                     {"outcome": "release_to_seller"})
    assert answer.status_code == 302
    assert Order.objects.get(pk=order["id"]).status == "completed"
    [event] = published("order.completed")
    assert event["by"] == "staff" and "refund_amount" not in event


def test_partial_refund_completes_the_order_carrying_the_amount(buyer, seller, gig, staff_admin_client):
    order = _disputed(buyer, seller, gig)
    dispute = Dispute.objects.get(order_id=order["id"])
    page = f"/admin/orders/orders/dispute/{dispute.pk}/change/"
    # Nothing, everything, more than paid, or no amount: refused on the form, nothing changes.
    for amount in ("0", "42.20", "50.00", ""):
        refused = staff_admin_client.post(page, {"outcome": "partial_refund", "refund_amount": amount})
        assert refused.status_code == 200 and "refund_amount" in refused.content.decode()
    assert staff_admin_client.post(page, {"outcome": "release_to_seller", "refund_amount": "5.00"}).status_code == 200
    assert Order.objects.get(pk=order["id"]).status == "disputed" and not published("order.completed")

    assert staff_admin_client.post(page, {"outcome": "partial_refund", "refund_amount": "20.00"}).status_code == 302
    [event] = published("order.completed")
    assert (event["by"], event["refund_amount"]) == ("staff", "20.00")
    dispute.refresh_from_db()
    assert (dispute.outcome, dispute.refund_amount, dispute.resolved_by) == (
        "partial_refund", Decimal("20.00"), "ops_anna")
    # The payment service's refund arrives: the order shows it.
    deliver_event("payment.refunded", refund_of(order, "20.00", "20.00"))
    seen = buyer.client.get(_url(order)).json()
    assert (seen["status"], seen["payment_status"], seen["refunded_total"]) == (
        "completed", "partially_refunded", "20.00")
