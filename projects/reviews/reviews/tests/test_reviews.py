import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from marketplace_libs.testing import deliver, event, problem, published
from marketplace_libs.errors import DomainError
from reviews import services
from reviews.models import Review

from .conftest import REVIEWS, completed_order, review


def test_the_buyer_of_a_completed_order_reviews_it_once(sale, api_client):
    buyer, seller, order = sale
    created = review(buyer, order, 4, "Good, a bit late")
    assert created["buyer"] == {"id": buyer.id, "username": buyer.username}
    assert created["gig_id"] == order["gig_id"] and created["reply"] is None
    problem(buyer.client.post(f"{REVIEWS}/", {"order_id": order["order_id"], "rating": 5}, format="json"), 409)
    [event_data] = published("review.created")
    assert event_data["rating"] == 4
    assert event_data["gig_rating"] == {"rating_avg": "4.00", "rating_count": 1}
    assert event_data["seller_rating"] == {"rating_avg": "4.00", "rating_count": 1}


def test_an_order_not_known_as_completed_is_a_409_to_retry_and_not_the_callers_a_403(sale, party):
    buyer, seller, order = sale
    unknown = buyer.client.post(f"{REVIEWS}/", {"order_id": str(uuid.uuid4()), "rating": 5}, format="json")
    problem(unknown, 409)
    assert unknown.json()["type"] == "urn:marketplace:problem:completion_pending"
    assert int(unknown["Retry-After"]) >= 1
    problem(party().client.post(f"{REVIEWS}/", {"order_id": order["order_id"], "rating": 5}, format="json"), 403)
    problem(seller.client.post(f"{REVIEWS}/", {"order_id": order["order_id"], "rating": 5}, format="json"), 403)
    assert not Review.objects.exists()


@pytest.mark.parametrize("body, field", [
    ({"rating": 0}, "rating"), ({"rating": 6}, "rating"), ({"rating": 4.5}, "rating"), ({"rating": "5"}, "rating"),
    ({"rating": True}, "rating"), ({"rating": 5, "comment": "x" * 2001}, "comment"), ({}, "rating"),
    ({"rating": 5, "order_id": "nope"}, "order_id"), ({"rating": 5, "stars": 5}, "stars"),
])
def test_bad_input_is_a_400_naming_the_field(sale, body, field):
    buyer, _, order = sale
    response = buyer.client.post(f"{REVIEWS}/", {"order_id": order["order_id"], **body}, format="json")
    assert field in problem(response, 400)["errors"]
    assert not Review.objects.exists()


def test_the_seller_replies_once_and_nobody_else_does(sale, party):
    buyer, seller, order = sale
    created = review(buyer, order)
    url = f"{REVIEWS}/{created['id']}/reply"
    problem(buyer.client.post(url, {"comment": "Thanks to me"}, format="json"), 403)
    problem(party().client.post(url, {"comment": "Hi"}, format="json"), 403)
    problem(seller.client.post(url, {"comment": ""}, format="json"), 400)
    replied = seller.client.post(url, {"comment": "Thank you!"}, format="json")
    assert replied.status_code == 200 and replied.json()["reply"]["comment"] == "Thank you!"
    problem(seller.client.post(url, {"comment": "Again"}, format="json"), 409)
    problem(seller.client.post(f"{REVIEWS}/{uuid.uuid4()}/reply", {"comment": "?"}, format="json"), 404)


def test_lists_and_summaries_by_gig_and_by_seller(party, api_client):
    seller = party()
    gig_id = str(uuid.uuid4())
    for rating in (5, 4, 4):
        buyer = party()
        order = completed_order(buyer.id, seller.id, gig_id)
        deliver(event("order.completed", order))
        review(buyer, order, rating)
    other_buyer = party()
    other = completed_order(other_buyer.id, seller.id)  # another gig of the same seller
    deliver(event("order.completed", other))
    review(other_buyer, other, 1)

    by_gig = api_client.get(f"{REVIEWS}/", {"gig_id": gig_id}).json()
    assert by_gig["count"] == 3 and [r["rating"] for r in by_gig["results"]] == [4, 4, 5]  # newest first
    assert api_client.get(f"{REVIEWS}/", {"seller_id": seller.id}).json()["count"] == 4
    assert api_client.get(f"{REVIEWS}/summary", {"gig_id": gig_id}).json() == {
        "rating_avg": "4.33", "rating_count": 3, "distribution": {"1": 0, "2": 0, "3": 0, "4": 2, "5": 1}}
    assert api_client.get(f"{REVIEWS}/summary", {"seller_id": seller.id}).json()["rating_avg"] == "3.50"
    assert api_client.get(f"{REVIEWS}/summary", {"gig_id": str(uuid.uuid4())}).json() == {
        "rating_avg": None, "rating_count": 0, "distribution": {"1": 0, "2": 0, "3": 0, "4": 0, "5": 0}}


@pytest.mark.parametrize("params", [{}, {"gig_id": "x"}, {"gig_id": str(uuid.uuid4()), "seller_id": str(uuid.uuid4())}])
def test_a_list_or_summary_needs_exactly_one_subject(api_client, db, params):
    problem(api_client.get(f"{REVIEWS}/", params), 400)
    problem(api_client.get(f"{REVIEWS}/summary", params), 400)


def test_hiding_a_review_takes_it_out_of_lists_and_aggregates(sale, api_client):
    buyer, seller, order = sale
    created = review(buyer, order, 1, "Spam spam spam")
    assert services.hide_review(review_id=created["id"], reason="Spam")
    assert not services.hide_review(review_id=created["id"], reason="Spam")  # once
    assert api_client.get(f"{REVIEWS}/", {"seller_id": seller.id}).json()["count"] == 0
    assert api_client.get(f"{REVIEWS}/summary", {"seller_id": seller.id}).json()["rating_count"] == 0
    [hidden] = published("review.hidden")
    assert hidden["seller_rating"] == {"rating_avg": None, "rating_count": 0} and hidden["reason"] == "Spam"
    problem(seller.client.post(f"{REVIEWS}/{created['id']}/reply", {"comment": "!"}, format="json"), 404)


def test_order_completed_replayed_twice_changes_nothing(party):
    buyer, seller = party(), party()
    order = completed_order(buyer.id, seller.id)
    first = event("order.completed", order)
    deliver(first)
    deliver(first)
    deliver(event("order.completed", order))
    review(buyer, order)
    problem(buyer.client.post(f"{REVIEWS}/", {"order_id": order["order_id"], "rating": 3}, format="json"), 409)


def test_usernames_follow_profile_updates(sale, api_client):
    buyer, seller, order = sale
    review(buyer, order)
    deliver(event("user.profile_updated", {"user_id": buyer.id, "username": buyer.username, "display_name": "B",
                                           "avatar_url": None, "country": "", "is_seller": False, "revision": 3,
                                           "updated_at": "2026-01-01T00:00:00Z"}))
    assert api_client.get(f"{REVIEWS}/", {"seller_id": seller.id}).json()["results"][0]["buyer"]["username"] == \
        buyer.username


@pytest.mark.django_db(transaction=True)
def test_a_double_submission_at_once_stores_one_review(party):
    if connection.vendor != "postgresql":
        pytest.skip("needs concurrent transactions")
    buyer, seller = party(), party()
    order = completed_order(buyer.id, seller.id)
    deliver(event("order.completed", order))

    def submit(_):
        try:
            services.submit_review(order_id=order["order_id"], buyer_id=buyer.id, buyer_username=buyer.username,
                                   rating=5, comment="")
            return "created"
        except DomainError as error:
            return error.code
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=10) as pool:
        outcomes = list(pool.map(submit, range(10)))
    assert outcomes.count("created") == 1 and outcomes.count("conflict") == 9
    assert Review.objects.count() == 1 and len(published("review.created")) == 1
