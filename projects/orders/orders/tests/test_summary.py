"""GET /api/orders/summary: every number of both roles, its boundaries, and the reviews it learns of from events."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from marketplace_libs.testing import problem
from marketplace_libs.times import iso_utc
from orders import disputes, selectors, services
from orders.models import Order, SubmittedReview

from .conftest import ORDERS, deliver_event, gig_event, paid, place, refund_of

ZERO_BUYER = {"active": 0, "awaiting_your_review": 0, "completed": 0, "cancelled": 0, "spent": []}
ZERO_SELLER = {"active": 0, "due_within_24h": 0, "late": 0, "delivered": 0, "completed": 0, "disputed": 0}


def summary(party) -> dict:
    response = party.client.get(f"{ORDERS}/summary")
    assert response.status_code == 200, response.content
    return response.json()


def delivered(buyer, gig, seller) -> dict:
    order = paid(buyer, gig)
    services.deliver(order_id=order["id"], user_id=seller.id, message="Here it is.")
    return order


def completed(buyer, gig, seller) -> dict:
    order = delivered(buyer, gig, seller)
    services.accept(order_id=order["id"], user_id=buyer.id)
    return order


def submitted(order, direction="buyer_to_seller", author_id=None):
    return deliver_event("review.submitted", {
        "order_id": order["id"], "direction": direction,
        "author_id": author_id or (order["buyer_id"] if direction == "buyer_to_seller" else order["seller_id"]),
        "submitted_at": iso_utc(timezone.now())})


def test_someone_without_orders_has_nothing_to_see(buyer):
    assert summary(buyer) == {"as_buyer": ZERO_BUYER, "as_seller": ZERO_SELLER}


def test_without_a_token_there_is_no_summary(api_client, db):
    problem(api_client.get(f"{ORDERS}/summary"), 401)


def test_every_number_counts_its_orders_for_the_buyer_and_the_seller(buyer, seller, gig, party):
    place(buyer, gig)  # pending_payment: the buyer's to pay, no work for the seller yet
    paid(buyer, gig)  # in_progress, due in 3 days
    delivered(buyer, gig, seller)
    completed(buyer, gig, seller)
    cancelled = place(buyer, gig)
    services.cancel(order_id=cancelled["id"], user_id=buyer.id, reason="Changed my mind.")
    disputed = paid(buyer, gig)
    disputes.open_dispute(order_id=disputed["id"], user_id=buyer.id, reason="Nothing yet")

    assert summary(buyer) == {
        "as_buyer": {"active": 4, "awaiting_your_review": 1, "completed": 1, "cancelled": 1,
                     "spent": [{"amount": "168.80", "currency": "USD"}]},  # four paid orders of 42.20
        "as_seller": ZERO_SELLER}
    assert summary(seller) == {
        "as_buyer": ZERO_BUYER,
        "as_seller": {"active": 3, "due_within_24h": 0, "late": 0, "delivered": 1, "completed": 1, "disputed": 1}}
    assert summary(party()) == {"as_buyer": ZERO_BUYER, "as_seller": ZERO_SELLER}


def test_one_person_buying_and_selling_sees_both_sides(buyer, seller, gig, party):
    their_gig = gig_event(buyer.id)
    deliver_event("gig.created", their_gig)
    paid(seller, their_gig)  # the seller of `gig` buys from the buyer
    paid(buyer, gig)
    for person in (buyer, seller):
        counted = summary(person)
        assert counted["as_buyer"]["active"] == counted["as_seller"]["active"] == 1


# --- spent ---------------------------------------------------------------------------------------------------

def test_spent_is_what_the_buyer_paid_less_refunds_per_currency(buyer, seller, gig):
    place(buyer, gig)  # unpaid: nothing spent
    unpaid_cancelled = place(buyer, gig)
    services.cancel(order_id=unpaid_cancelled["id"], user_id=buyer.id, reason="No longer needed.")
    paid(buyer, gig, "premium")  # 189.90
    partly = paid(buyer, gig)  # 42.20, 10.00 back
    deliver_event("payment.refunded", refund_of(partly, "10.00", "10.00"))
    refunded = paid(buyer, gig)  # 42.20, all back
    services.cancel(order_id=refunded["id"], user_id=seller.id, reason="Too busy.")
    deliver_event("payment.refunded", refund_of(refunded, refunded["total"], refunded["total"]))
    euro_gig = gig_event(seller.id, packages=[{"tier": "basic", "title": "One", "description": "", "price": "10.00",
                                                "currency": "EUR", "delivery_days": 2, "revisions": 0}])
    deliver_event("gig.created", euro_gig)
    paid(buyer, euro_gig)  # 10.55 EUR
    assert summary(buyer)["as_buyer"]["spent"] == [{"amount": "10.55", "currency": "EUR"},
                                                   {"amount": "222.10", "currency": "USD"}]
    assert summary(seller)["as_buyer"]["spent"] == []  # the seller's sales are not what they spent


# --- due within 24 hours and late -------------------------------------------------------------------------

def test_due_within_24h_and_late_at_their_boundaries(buyer, seller, gig):
    order = paid(buyer, gig)
    due_at = Order.objects.get(pk=order["id"]).due_at

    def seller_counts(now):
        counted = selectors.summary_for(seller.id, now=now)["as_seller"]
        return counted["due_within_24h"], counted["late"]

    assert seller_counts(due_at - timedelta(hours=24, microseconds=1)) == (0, 0)
    assert seller_counts(due_at - timedelta(hours=24)) == (1, 0)
    assert seller_counts(due_at) == (1, 0)  # due this instant: not late yet (Order.late)
    assert seller_counts(due_at + timedelta(microseconds=1)) == (0, 1)
    assert seller_counts(due_at + timedelta(days=30)) == (0, 1)
    services.deliver(order_id=order["id"], user_id=seller.id, message="Late, sorry.")
    assert seller_counts(due_at + timedelta(days=1)) == (0, 0)  # delivered: no longer late work


def test_a_late_order_shows_on_the_api_as_the_order_says(buyer, seller, gig):
    order = paid(buyer, gig)
    Order.objects.filter(pk=order["id"]).update(due_at=timezone.now() - timedelta(minutes=1))
    assert summary(seller)["as_seller"]["late"] == 1
    assert seller.client.get(f"{ORDERS}/{order['id']}/").json()["late"] is True
    Order.objects.filter(pk=order["id"]).update(due_at=timezone.now() + timedelta(hours=23))
    assert summary(seller)["as_seller"]["due_within_24h"] == 1 and summary(seller)["as_seller"]["late"] == 0


# --- awaiting your review ------------------------------------------------------------------------------------

def test_a_completed_order_awaits_the_buyers_review_until_they_write_it(buyer, seller, gig):
    order = completed(buyer, gig, seller)
    assert summary(buyer)["as_buyer"]["awaiting_your_review"] == 1
    submitted(order, "seller_to_buyer")  # the seller's review is not the buyer's
    assert summary(buyer)["as_buyer"]["awaiting_your_review"] == 1
    submitted(order)
    submitted(order)  # told again (another event id): kept once
    assert summary(buyer)["as_buyer"]["awaiting_your_review"] == 0
    assert SubmittedReview.objects.filter(order_id=order["id"]).count() == 2


def test_published_reviews_count_as_written(buyer, seller, gig):
    order = completed(buyer, gig, seller)
    rating = {"rating_avg": "5.00", "rating_count": 1}
    deliver_event("review.published", {
        "order_id": order["id"], "gig_id": order["gig_id"], "buyer_id": buyer.id, "seller_id": seller.id,
        "reason": "window_closed", "published_at": iso_utc(timezone.now()),
        "reviews": [{"review_id": "0c1d7e55-2a49-4f0b-8f63-91d4b0a2c6e1", "direction": "buyer_to_seller",
                     "author_id": buyer.id, "rating": 5, "comment": "", "created_at": iso_utc(timezone.now())}],
        "gig_rating": rating, "seller_rating": rating, "buyer_rating": {"rating_avg": None, "rating_count": 0}})
    assert summary(buyer)["as_buyer"]["awaiting_your_review"] == 0


def test_the_review_window_closes_on_the_reviews_services_rule(buyer, seller, gig, settings):
    settings.REVIEW_WINDOW_DAYS = 10
    order = completed(buyer, gig, seller)
    completed_at = Order.objects.get(pk=order["id"]).completed_at

    def awaiting(now):
        return selectors.summary_for(buyer.id, now=now)["as_buyer"]["awaiting_your_review"]

    assert awaiting(completed_at + timedelta(days=10) - timedelta(microseconds=1)) == 1
    assert awaiting(completed_at + timedelta(days=10)) == 0  # the review service refuses from this instant on


# --- cost and routing -------------------------------------------------------------------------------------

def test_the_summary_is_one_statement_however_many_orders(buyer, seller, gig):
    for _ in range(3):
        completed(buyer, gig, seller)
        paid(buyer, gig)
    with CaptureQueriesContext(connection) as queries:
        selectors.summary_for(buyer.id)
    assert len(queries) == 1


@pytest.mark.parametrize("path", ["summary/", "summary/extra", "Summary"])
def test_nothing_else_answers_as_the_summary_and_orders_still_resolve(buyer, gig, path):
    order = place(buyer, gig)
    problem(buyer.client.get(f"{ORDERS}/{path}"), 404)
    assert buyer.client.get(f"{ORDERS}/{order['id']}/").status_code == 200
