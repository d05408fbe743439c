"""The payment service's events move the order: each applied once, in whatever order they arrive."""

import uuid

import pytest

from marketplace_libs.events.models import InboxEvent
from marketplace_libs.testing import published
from orders.models import Order
from orders.services import PaymentMismatch

from .conftest import ORDERS, deliver_event, pay, payment_event, place, refund_of


def seen(party, order) -> dict:
    return party.client.get(f"{ORDERS}/{order['id']}/").json()


def timeline(party, order) -> list[str]:
    return [entry["type"] for entry in seen(party, order)["timeline"]]


def test_a_payment_starts_the_work_once_even_when_redelivered(buyer, gig):
    order = place(buyer, gig)
    succeeded, event_id = payment_event(order), str(uuid.uuid4())
    assert deliver_event("payment.succeeded", succeeded, event_id=event_id) == {event_id}
    assert deliver_event("payment.succeeded", succeeded, event_id=event_id) == set()  # the inbox knows it
    deliver_event("payment.succeeded", succeeded)  # the same facts in another event change nothing either
    detail = seen(buyer, order)
    assert detail["status"] == "in_progress" and detail["payment_status"] == "paid" and detail["due_at"]
    assert [entry["type"] for entry in detail["timeline"]] == ["placed", "paid"]
    assert detail["timeline"][-1] == {**detail["timeline"][-1], "message": "Payment received.", "actor_id": None}
    [event] = published("order.paid")
    assert event["order_id"] == order["id"] and event["due_at"]


@pytest.mark.parametrize("change", [{"amount": "40.00"}, {"currency": "EUR"},
                                    {"buyer_id": "3f8e2a9c-5b1d-4c7e-9a2f-6d0b8e4c1a73"}])
def test_a_payment_that_does_not_match_the_order_is_refused_and_changes_nothing(buyer, gig, change):
    order, event_id = place(buyer, gig), str(uuid.uuid4())
    with pytest.raises(PaymentMismatch, match="does not match"):  # the worker retries, then dead-letters it
        deliver_event("payment.succeeded", payment_event(order, **change), event_id=event_id)
    assert Order.objects.get(pk=order["id"]).status == "pending_payment"
    assert not InboxEvent.objects.filter(event_id=event_id).exists()  # not spent: a retry runs it again
    assert published("order.paid") == []


def test_a_failed_payment_is_noted_and_a_later_one_still_counts(buyer, gig):
    order = place(buyer, gig)
    deliver_event("payment.failed", payment_event(order, "payment.failed"))
    detail = seen(buyer, order)
    assert detail["status"] == "pending_payment" and detail["payment_status"] == "unpaid"
    assert detail["timeline"][-1]["type"] == "payment_failed"
    assert "Your card was declined." in detail["timeline"][-1]["message"]
    pay(order)
    assert seen(buyer, order)["status"] == "in_progress"


def test_a_failure_heard_after_the_success_changes_nothing(buyer, gig):
    order = place(buyer, gig)
    pay(order)
    before = seen(buyer, order)
    deliver_event("payment.failed", payment_event(order, "payment.failed"))
    assert seen(buyer, order) == before


def test_a_payment_after_a_cancellation_is_left_to_the_payment_service_to_refund(buyer, gig):
    order = place(buyer, gig)
    buyer.client.post(f"{ORDERS}/{order['id']}/cancel", {"reason": "Changed my mind"}, format="json")
    assert published("order.cancelled")[0]["refunded"] is False  # not paid when cancelled
    pay(order)
    detail = seen(buyer, order)
    assert detail["status"] == "cancelled" and detail["payment_status"] == "paid"
    assert detail["timeline"][-1]["type"] == "paid_after_cancellation"
    assert "payment service refunds it" in detail["timeline"][-1]["message"]
    assert published("order.paid") == []
    deliver_event("payment.refunded", refund_of(order, "42.20", "42.20"))
    assert seen(buyer, order)["payment_status"] == "refunded"


def test_partial_then_full_refunds_and_a_duplicate(buyer, seller, gig):
    order = place(buyer, gig)
    pay(order)
    partial, event_id = refund_of(order, "10.00", "10.00"), str(uuid.uuid4())
    deliver_event("payment.refunded", partial, event_id=event_id)
    assert deliver_event("payment.refunded", partial, event_id=event_id) == set()
    detail = seen(buyer, order)
    assert detail["payment_status"] == "partially_refunded" and detail["refunded_total"] == "10.00"
    assert detail["status"] == "in_progress"  # a partial refund does not stop the work
    assert detail["timeline"][-1]["message"] == (
        "Refund of 10.00 USD to the buyer (10.00 of 42.20 USD refunded in all).")
    deliver_event("payment.refunded", refund_of(order, "32.20", "42.20"))
    detail = seen(seller, order)
    assert detail["payment_status"] == "refunded" and detail["refunded_total"] == "42.20"
    assert timeline(seller, order).count("refunded") == 2


def test_refunds_arriving_out_of_order_keep_the_larger_total(buyer, gig):
    order = place(buyer, gig)
    pay(order)
    deliver_event("payment.refunded", refund_of(order, "32.20", "42.20"))
    deliver_event("payment.refunded", refund_of(order, "10.00", "10.00"))  # older, arriving late
    detail = seen(buyer, order)
    assert detail["payment_status"] == "refunded" and detail["refunded_total"] == "42.20"
    assert timeline(buyer, order).count("refunded") == 1


def test_a_full_refund_heard_before_the_payment_starts_no_work(buyer, gig):
    """Refunded before succeeded: the money is already back with the buyer, so the late success moves
    nothing, and the buyer's cancellation then owes no refund."""
    order = place(buyer, gig)
    deliver_event("payment.refunded", refund_of(order, "42.20", "42.20"))
    pay(order)
    detail = seen(buyer, order)
    assert detail["status"] == "pending_payment" and detail["payment_status"] == "refunded"
    assert detail["timeline"][-1]["type"] == "payment_refunded_before_arrival"
    assert published("order.paid") == []
    buyer.client.post(f"{ORDERS}/{order['id']}/cancel", {"reason": "Refunded anyway"}, format="json")
    assert published("order.cancelled")[0]["refunded"] is False


def test_a_partial_refund_heard_before_the_payment_still_starts_the_work(buyer, gig):
    order = place(buyer, gig)
    deliver_event("payment.refunded", refund_of(order, "5.00", "5.00"))
    pay(order)
    detail = seen(buyer, order)
    assert detail["status"] == "in_progress" and detail["payment_status"] == "partially_refunded"
    assert detail["refunded_total"] == "5.00" and len(published("order.paid")) == 1


def test_a_refund_larger_than_the_payment_is_refused(buyer, gig):
    order = place(buyer, gig)
    pay(order)
    with pytest.raises(PaymentMismatch, match="does not fit"):
        deliver_event("payment.refunded", refund_of(order, "50.00", "40.00"))
    assert Order.objects.get(pk=order["id"]).payment_status == "paid"


def test_cancelling_a_partly_refunded_order_owes_the_rest(buyer, seller, gig):
    order = place(buyer, gig)
    pay(order)
    deliver_event("payment.refunded", refund_of(order, "2.20", "2.20"))
    cancelled = seller.client.post(f"{ORDERS}/{order['id']}/cancel", {"reason": "Busy"}, format="json").json()
    assert published("order.cancelled")[0]["refunded"] is True
    assert cancelled["timeline"][-1]["message"] == "The payment service refunds the payment to the buyer (40.00 USD)."
