"""Double-blind: a review is seen by its author alone until the other party has reviewed or the window closed."""

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.db import connection

from marketplace_libs.errors import DomainError
from marketplace_libs.testing import deliver, event, problem, published
from reviews import selectors, services
from reviews.models import RatingAggregate, Review

from .conftest import REVIEWS, completed_order, review


def visible(client, review_id) -> bool:
    return client.get(f"{REVIEWS}/{review_id}/").status_code == 200


def public_counts(api_client, buyer, seller, order) -> tuple:
    return tuple(api_client.get(f"{REVIEWS}/", params).json()["count"] for params in (
        {"gig_id": order["gig_id"]}, {"seller_id": seller.id}, {"buyer_id": buyer.id}))


def test_a_review_is_its_authors_alone_until_the_other_party_reviews(sale, party, api_client):
    buyer, seller, order = sale
    by_buyer = review(buyer, order, 2, "Late and sloppy")
    assert visible(buyer.client, by_buyer["id"])
    assert not visible(seller.client, by_buyer["id"]) and not visible(api_client, by_buyer["id"])
    assert not visible(party().client, by_buyer["id"])
    assert public_counts(api_client, buyer, seller, order) == (0, 0, 0)
    assert api_client.get(f"{REVIEWS}/summary", {"seller_id": seller.id}).json()["rating_count"] == 0
    assert seller.client.get(f"{REVIEWS}/", {"order_id": order["order_id"]}).json()["count"] == 0
    [own] = buyer.client.get(f"{REVIEWS}/", {"order_id": order["order_id"]}).json()["results"]
    assert own["id"] == by_buyer["id"] and own["status"] == "hidden"
    assert not published("review.published")

    by_seller = review(seller, order, 4, "Friendly buyer")
    for client in (buyer.client, seller.client, api_client):
        assert visible(client, by_buyer["id"]) and visible(client, by_seller["id"])
    assert public_counts(api_client, buyer, seller, order) == (1, 1, 1)
    both = api_client.get(f"{REVIEWS}/", {"order_id": order["order_id"]}).json()["results"]
    assert {(r["direction"], r["status"]) for r in both} == {("buyer_to_seller", "published"),
                                                            ("seller_to_buyer", "published")}
    assert len({r["published_at"] for r in both}) == 1  # together

    [told] = published("review.published")
    assert told["reason"] == "both_reviewed" and told["order_id"] == order["order_id"]
    assert {(r["direction"], r["author_id"], r["rating"]) for r in told["reviews"]} == {
        ("buyer_to_seller", buyer.id, 2), ("seller_to_buyer", seller.id, 4)}
    assert told["gig_rating"] == told["seller_rating"] == {"rating_avg": "2.00", "rating_count": 1}
    assert told["buyer_rating"] == {"rating_avg": "4.00", "rating_count": 1}


def test_the_window_publishes_a_lone_review_once(sale, api_client, settings):
    settings.REVIEW_WINDOW_DAYS = 10
    buyer, seller, order = sale
    by_seller = review(seller, order, 5)
    completed_at = Review.objects.get(pk=by_seller["id"]).created_at  # within a moment of the completion
    assert services.publish_reviews_past_window(now=completed_at + timedelta(days=9)) == 0
    assert not visible(buyer.client, by_seller["id"])

    closed = selectors.review_window_end(order["order_id"])
    assert services.publish_reviews_past_window(now=closed) == 1
    assert services.publish_reviews_past_window(now=closed + timedelta(minutes=1)) == 0  # once
    assert visible(buyer.client, by_seller["id"]) and visible(api_client, by_seller["id"])
    [told] = published("review.published")
    assert told["reason"] == "window_closed" and [r["direction"] for r in told["reviews"]] == ["seller_to_buyer"]
    assert told["buyer_rating"] == {"rating_avg": "5.00", "rating_count": 1}
    assert told["seller_rating"] == {"rating_avg": None, "rating_count": 0}
    assert api_client.get(f"{REVIEWS}/summary", {"buyer_id": buyer.id}).json()["rating_count"] == 1


def test_an_order_nobody_reviewed_is_left_alone_by_the_window(sale):
    _, _, order = sale
    assert services.publish_reviews_past_window(now=selectors.review_window_end(order["order_id"])) == 0
    assert not published("review.published")


def concurrently(calls) -> list[str]:
    def run(call):
        try:
            call()
            return "created"
        except DomainError as error:
            return error.code
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def submit(party, order, rating=5):
    return lambda: services.submit_review(order_id=order["order_id"], author_id=party.id,
                                          author_username=party.username, rating=rating, comment="")


@pytest.mark.django_db(transaction=True)
def test_a_double_submission_at_once_stores_one_review(party):
    assert connection.vendor == "postgresql"
    buyer, seller = party(), party()
    order = completed_order(buyer.id, seller.id)
    deliver(event("order.completed", order))
    outcomes = concurrently([submit(buyer, order)] * 10)
    assert outcomes.count("created") == 1 and outcomes.count("conflict") == 9
    assert Review.objects.count() == 1 and not published("review.published")


@pytest.mark.django_db(transaction=True)
def test_both_parties_reviewing_at_once_publish_both_once(party):
    assert connection.vendor == "postgresql"
    for _ in range(5):
        buyer, seller = party(), party()
        order = completed_order(buyer.id, seller.id)
        deliver(event("order.completed", order))
        assert concurrently([submit(buyer, order, 3), submit(seller, order, 4)]) == ["created", "created"]
        assert set(Review.objects.filter(order_id=order["order_id"]).values_list("status", flat=True)) == {"published"}
        told = [data for data in published("review.published") if data["order_id"] == order["order_id"]]
        assert len(told) == 1 and len(told[0]["reviews"]) == 2
        seller_aggregate = RatingAggregate.objects.get(subject_type="seller", subject_id=seller.id)
        buyer_aggregate = RatingAggregate.objects.get(subject_type="buyer", subject_id=buyer.id)
        assert (seller_aggregate.count, seller_aggregate.total) == (1, 3)
        assert (buyer_aggregate.count, buyer_aggregate.total) == (1, 4)


@pytest.mark.django_db(transaction=True)
def test_a_review_and_the_window_closing_at_once_publish_once(party, settings):
    assert connection.vendor == "postgresql"
    buyer, seller = party(), party()
    order = completed_order(buyer.id, seller.id, days_ago=settings.REVIEW_WINDOW_DAYS - 0.0001)
    deliver(event("order.completed", order))
    review(buyer, order, 5)
    closed = selectors.review_window_end(order["order_id"])
    outcomes = concurrently([submit(seller, order, 4),
                             lambda: services.publish_reviews_past_window(now=closed + timedelta(seconds=1))])
    told = published("review.published")
    assert len(told) == 1 and set(Review.objects.values_list("status", flat=True)) == {"published"}
    if outcomes[0] == "created":  # the seller was in time: both published by the seller's review
        assert told[0]["reason"] == "both_reviewed" and len(told[0]["reviews"]) == 2
    else:  # the window closed first: the buyer's review alone, the seller's refused
        assert outcomes[0] == "review_window_closed" and told[0]["reason"] == "window_closed"
        assert Review.objects.count() == 1


def test_a_review_of_someone_elses_hidden_review_is_not_found(sale, party):
    buyer, seller, order = sale
    by_buyer = review(buyer, order)
    for client in (seller.client, party().client):
        problem(client.get(f"{REVIEWS}/{by_buyer['id']}/"), 404)
    problem(buyer.client.get(f"{REVIEWS}/{uuid.uuid4()}/"), 404)


def test_each_review_tells_who_reviewed_which_way_and_nothing_of_the_review(sale):
    buyer, seller, order = sale
    by_buyer = review(buyer, order, 2, "Late and sloppy")
    [told] = published("review.submitted")
    assert told == {"order_id": order["order_id"], "direction": "buyer_to_seller", "author_id": buyer.id,
                    "submitted_at": told["submitted_at"]}
    assert told["submitted_at"][:19] == by_buyer["created_at"][:19]
    review(seller, order, 4)
    assert [(data["direction"], data["author_id"]) for data in published("review.submitted")] == [
        ("buyer_to_seller", buyer.id), ("seller_to_buyer", seller.id)]


def test_a_refused_review_tells_nothing(sale):
    buyer, seller, order = sale
    review(buyer, order, 5)
    problem(buyer.client.post(f"{REVIEWS}/", {"order_id": order["order_id"], "rating": 4, "comment": ""},
                              format="json"), 409)
    assert len(published("review.submitted")) == 1


@pytest.mark.django_db(transaction=True)
def test_a_double_submission_at_once_tells_once(party):
    buyer, seller = party(), party()
    order = completed_order(buyer.id, seller.id)
    deliver(event("order.completed", order))
    concurrently([submit(buyer, order)] * 6)
    assert len(published("review.submitted")) == 1
