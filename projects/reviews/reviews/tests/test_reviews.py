import uuid

import pytest

from marketplace_libs.testing import deliver, event, problem, published
from reviews import selectors, services
from reviews.models import Review

from .conftest import REVIEWS, completed_order, review, reviewed_both_ways


def test_each_party_reviews_once(sale):
    buyer, seller, order = sale
    by_buyer = review(buyer, order, 4, "Good, a bit late")
    assert by_buyer["buyer"] == by_buyer["author"] == {"id": buyer.id, "username": buyer.username}
    assert by_buyer["direction"] == "buyer_to_seller" and by_buyer["status"] == "hidden"
    assert by_buyer["gig_id"] == order["gig_id"] and by_buyer["reply"] is None and by_buyer["published_at"] is None
    problem(buyer.client.post(f"{REVIEWS}/", {"order_id": order["order_id"], "rating": 5}, format="json"), 409)

    by_seller = review(seller, order, 5, "Clear brief")
    assert by_seller["direction"] == "seller_to_buyer" and by_seller["author"]["id"] == seller.id
    assert by_seller["buyer"] == {"id": buyer.id, "username": buyer.username}
    assert by_seller["status"] == "published" and by_seller["published_at"] is not None
    second = seller.client.post(f"{REVIEWS}/", {"order_id": order["order_id"], "rating": 1}, format="json")
    problem(second, 409)
    assert sorted(Review.objects.values_list("rating", flat=True)) == [4, 5]
    assert len(published("review.published")) == 1 and not published("review.created")


def test_an_order_not_known_as_completed_is_a_409_to_retry_and_a_third_party_a_403(sale, party):
    buyer, seller, order = sale
    unknown = buyer.client.post(f"{REVIEWS}/", {"order_id": str(uuid.uuid4()), "rating": 5}, format="json")
    problem(unknown, 409)
    assert unknown.json()["type"] == "urn:marketplace:problem:completion_pending"
    assert int(unknown["Retry-After"]) >= 1
    problem(party().client.post(f"{REVIEWS}/", {"order_id": order["order_id"], "rating": 5}, format="json"), 403)
    assert not Review.objects.exists() and not published("review.published")


def test_after_the_window_nobody_reviews_and_nothing_changes(party, settings):
    settings.REVIEW_WINDOW_DAYS = 10
    buyer, seller = party(), party()
    order = completed_order(buyer.id, seller.id, days_ago=10.01)
    deliver(event("order.completed", order))
    for author in (buyer, seller):
        late = author.client.post(f"{REVIEWS}/", {"order_id": order["order_id"], "rating": 5}, format="json")
        assert problem(late, 409)["type"] == "urn:marketplace:problem:review_window_closed"
    assert not Review.objects.exists() and not published("review.published")
    just_in_time = completed_order(buyer.id, seller.id, days_ago=9.9)
    deliver(event("order.completed", just_in_time))
    review(buyer, just_in_time)


@pytest.mark.parametrize("body, field", [
    ({"rating": 0}, "rating"), ({"rating": 6}, "rating"), ({"rating": 4.5}, "rating"), ({"rating": "5"}, "rating"),
    ({"rating": True}, "rating"), ({"rating": 5, "comment": "x" * 2001}, "comment"), ({}, "rating"),
    ({"rating": 5, "order_id": "nope"}, "order_id"), ({"rating": 5, "stars": 5}, "stars"),
    ({"rating": 5, "direction": "seller_to_buyer"}, "direction"), ({"rating": 5, "status": "published"}, "status"),
])
def test_bad_input_is_a_400_naming_the_field(sale, body, field):
    buyer, _, order = sale
    response = buyer.client.post(f"{REVIEWS}/", {"order_id": order["order_id"], **body}, format="json")
    assert field in problem(response, 400)["errors"]
    assert not Review.objects.exists()


def test_the_reviewed_party_replies_once_to_a_published_review(sale, party):
    buyer, seller, order = sale
    by_buyer = review(buyer, order)
    url = f"{REVIEWS}/{by_buyer['id']}/reply"
    problem(seller.client.post(url, {"comment": "What did you say?"}, format="json"), 404)  # not published yet
    by_seller = review(seller, order, 4)
    problem(buyer.client.post(url, {"comment": "Thanks to me"}, format="json"), 403)
    problem(party().client.post(url, {"comment": "Hi"}, format="json"), 403)
    problem(seller.client.post(url, {"comment": ""}, format="json"), 400)
    replied = seller.client.post(url, {"comment": "Thank you!"}, format="json")
    assert replied.status_code == 200 and replied.json()["reply"]["comment"] == "Thank you!"
    problem(seller.client.post(url, {"comment": "Again"}, format="json"), 409)
    # the buyer answers the seller's review of them
    answered = buyer.client.post(f"{REVIEWS}/{by_seller['id']}/reply", {"comment": "Likewise"}, format="json")
    assert answered.status_code == 200 and answered.json()["reply"]["comment"] == "Likewise"
    problem(seller.client.post(f"{REVIEWS}/{uuid.uuid4()}/reply", {"comment": "?"}, format="json"), 404)


def test_lists_and_summaries_by_gig_by_seller_and_by_buyer(party, api_client):
    seller, regular = party(), party()
    gig_id = str(uuid.uuid4())
    for rating, buyer in ((5, party()), (4, regular), (4, party())):
        order = completed_order(buyer.id, seller.id, gig_id)
        deliver(event("order.completed", order))
        reviewed_both_ways(buyer, seller, order, rating, buyer_rating=3 if buyer is regular else 5)
    other = completed_order(regular.id, seller.id)  # another gig of the same seller, the same buyer
    deliver(event("order.completed", other))
    reviewed_both_ways(regular, seller, other, 1, buyer_rating=4)

    by_gig = api_client.get(f"{REVIEWS}/", {"gig_id": gig_id}).json()
    assert by_gig["count"] == 3 and [r["rating"] for r in by_gig["results"]] == [4, 4, 5]  # newest first
    assert {r["direction"] for r in by_gig["results"]} == {"buyer_to_seller"}
    assert api_client.get(f"{REVIEWS}/", {"seller_id": seller.id}).json()["count"] == 4
    by_buyer = api_client.get(f"{REVIEWS}/", {"buyer_id": regular.id}).json()
    assert [(r["rating"], r["direction"], r["author"]["id"]) for r in by_buyer["results"]] == [
        (4, "seller_to_buyer", seller.id), (3, "seller_to_buyer", seller.id)]
    assert api_client.get(f"{REVIEWS}/summary", {"gig_id": gig_id}).json() == {
        "rating_avg": "4.33", "rating_count": 3, "distribution": {"1": 0, "2": 0, "3": 0, "4": 2, "5": 1}}
    assert api_client.get(f"{REVIEWS}/summary", {"seller_id": seller.id}).json()["rating_avg"] == "3.50"
    assert api_client.get(f"{REVIEWS}/summary", {"buyer_id": regular.id}).json() == {
        "rating_avg": "3.50", "rating_count": 2, "distribution": {"1": 0, "2": 0, "3": 1, "4": 1, "5": 0}}
    assert api_client.get(f"{REVIEWS}/summary", {"gig_id": str(uuid.uuid4())}).json() == {
        "rating_avg": None, "rating_count": 0, "distribution": {"1": 0, "2": 0, "3": 0, "4": 0, "5": 0}}


@pytest.mark.parametrize("params", [{}, {"gig_id": "x"}, {"gig_id": str(uuid.uuid4()), "seller_id": str(uuid.uuid4())},
                                    {"buyer_id": str(uuid.uuid4()), "seller_id": str(uuid.uuid4())}])
def test_a_list_or_summary_needs_exactly_one_subject(api_client, db, params):
    problem(api_client.get(f"{REVIEWS}/", params), 400)
    problem(api_client.get(f"{REVIEWS}/summary", params), 400)


def test_a_summary_is_not_by_order(api_client, db):
    problem(api_client.get(f"{REVIEWS}/summary", {"order_id": str(uuid.uuid4())}), 400)


def test_taking_a_published_review_down_takes_it_out_of_lists_and_aggregates(sale, api_client):
    buyer, seller, order = sale
    created = reviewed_both_ways(buyer, seller, order, 1, "Spam spam spam")
    assert services.hide_review(review_id=created["id"], reason="Spam")
    assert not services.hide_review(review_id=created["id"], reason="Spam")  # once
    assert api_client.get(f"{REVIEWS}/", {"seller_id": seller.id}).json()["count"] == 0
    assert api_client.get(f"{REVIEWS}/summary", {"seller_id": seller.id}).json()["rating_count"] == 0
    assert api_client.get(f"{REVIEWS}/summary", {"buyer_id": buyer.id}).json()["rating_count"] == 1
    [hidden] = published("review.hidden")
    assert hidden["seller_rating"] == {"rating_avg": None, "rating_count": 0} and hidden["reason"] == "Spam"
    assert hidden["direction"] == "buyer_to_seller" and hidden["buyer_rating"] == {"rating_avg": "5.00",
                                                                                  "rating_count": 1}
    problem(seller.client.post(f"{REVIEWS}/{created['id']}/reply", {"comment": "!"}, format="json"), 404)


def test_a_review_taken_down_while_hidden_never_counts_nor_is_told(sale, api_client):
    buyer, seller, order = sale
    abusive = review(seller, order, 1, "Call me on +1 555 0100")
    assert services.hide_review(review_id=abusive["id"], reason="Personal contact details")
    assert not published("review.hidden")  # nobody outside ever saw it
    review(buyer, order, 5)
    [event_data] = published("review.published")
    assert [r["direction"] for r in event_data["reviews"]] == ["buyer_to_seller"]
    assert event_data["buyer_rating"] == {"rating_avg": None, "rating_count": 0}
    assert api_client.get(f"{REVIEWS}/", {"buyer_id": buyer.id}).json()["count"] == 0
    assert api_client.get(f"{REVIEWS}/summary", {"seller_id": seller.id}).json()["rating_count"] == 1


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
    reviewed_both_ways(buyer, seller, order)
    deliver(event("user.profile_updated", {"user_id": buyer.id, "username": "renamed", "display_name": "B",
                                           "avatar_url": None, "country": "", "is_seller": False, "revision": 3,
                                           "updated_at": "2026-01-01T00:00:00Z"}))
    [by_buyer] = api_client.get(f"{REVIEWS}/", {"seller_id": seller.id}).json()["results"]
    [of_buyer] = api_client.get(f"{REVIEWS}/", {"buyer_id": buyer.id}).json()["results"]
    assert by_buyer["buyer"]["username"] == of_buyer["buyer"]["username"] == "renamed"


def test_a_buyer_whose_name_has_not_arrived_is_listed_without_it(party, api_client):
    seller = party()
    buyer_id = str(uuid.uuid4())  # never reviewed, never told by user.registered
    order = completed_order(buyer_id, seller.id)
    deliver(event("order.completed", order))
    review(seller, order, 4)
    assert services.publish_reviews_past_window(now=selectors.review_window_end(order["order_id"])) == 1
    [listed] = api_client.get(f"{REVIEWS}/", {"buyer_id": buyer_id}).json()["results"]
    assert listed["buyer"] is None and listed["buyer_id"] == buyer_id and listed["rating"] == 4
