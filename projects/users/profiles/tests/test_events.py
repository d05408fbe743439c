"""The user service's handlers, applied through the consumer's real path (inbox and handler in one
transaction)."""

import uuid
from decimal import Decimal

from marketplace_libs.testing import deliver, event
from profiles.models import Profile

from .conftest import RATINGS, USERS, registered


def review(seller_id: str, rating: int, review_id: str | None = None) -> dict:
    return {"review_id": review_id or str(uuid.uuid4()), "order_id": str(uuid.uuid4()), "gig_id": str(uuid.uuid4()),
            "buyer_id": str(uuid.uuid4()), "seller_id": seller_id, "rating": rating, "comment": "ok",
            "created_at": "2026-05-20T12:00:00Z", **RATINGS}


def completed(seller_id: str, order_id: str | None = None) -> dict:
    return {"order_id": order_id or str(uuid.uuid4()), "gig_id": str(uuid.uuid4()), "buyer_id": str(uuid.uuid4()),
            "seller_id": seller_id, "price": "40.00", "currency": "USD", "completed_at": "2026-05-19T18:30:00Z",
            "package": "basic", "title": "A gig", "by": "buyer"}


def stats_of(user_id: str) -> tuple:
    profile = Profile.objects.get(user_id=user_id)
    return profile.rating_avg, profile.rating_count, profile.orders_completed


def test_a_registration_creates_one_profile_even_when_delivered_twice(db):
    user_id = str(uuid.uuid4())
    first = registered(user_id, "twice")
    assert deliver(first) == {first.id}
    assert deliver(first) == set()  # the redelivery is recognised by the inbox
    assert Profile.objects.filter(user_id=user_id).count() == 1


def test_stats_count_each_review_and_sale_once_however_often_they_arrive(db):
    seller = str(uuid.uuid4())
    deliver(registered(seller, "seller_stats"))
    five, three = event("review.created", review(seller, 5)), event("review.created", review(seller, 3))
    sale = event("order.completed", completed(seller))
    deliver(five, three, sale)
    assert stats_of(seller) == (4, 2, 1)

    # Replayed twice with the same event ids: the inbox skips them.
    deliver(five, three, sale)
    deliver(five, three, sale)
    # The same review and sale told again under new event ids: one row per review and order.
    deliver(event("review.created", five.data), event("order.completed", sale.data))
    assert stats_of(seller) == (4, 2, 1)

    deliver(event("review.created", review(seller, 4)))
    assert stats_of(seller) == (4, 3, 1)
    assert str(Profile.objects.get(user_id=seller).rating_avg) == "4.00"


def test_the_average_is_rounded_to_two_places(db):
    seller = str(uuid.uuid4())
    deliver(registered(seller, "rounding"))
    deliver(*(event("review.created", review(seller, rating)) for rating in (5, 4, 4)))
    assert str(stats_of(seller)[0]) == "4.33"


def test_reviews_counted_before_the_profile_exists_show_once_it_does(caller):
    seller = caller()
    deliver(event("review.created", review(seller.id, 2)), event("order.completed", completed(seller.id)))
    stats = seller.client.get(f"{USERS}/me").json()["stats"]
    assert stats == {"rating_avg": "2.00", "rating_count": 1, "orders_completed": 1}


def test_a_handler_failure_rolls_back_the_inbox_row_too(db):
    seller = str(uuid.uuid4())
    broken = event("review.created", {**review(seller, 5), "seller_id": "not-a-uuid"})
    try:
        deliver(broken)
    except Exception:  # noqa: BLE001 - the consumer retries, then dead-letters
        pass
    from marketplace_libs.events.models import InboxEvent

    assert not InboxEvent.objects.filter(event_id=broken.id).exists()


def hidden(review_data: dict) -> dict:
    return {key: review_data[key] for key in ("review_id", "order_id", "gig_id", "seller_id")} | {
        "reason": "abusive", "hidden_at": "2026-05-21T09:00:00Z", **RATINGS}


def test_a_hidden_review_stops_counting_even_when_told_again_or_late(db):
    seller = str(uuid.uuid4())
    deliver(registered(seller, "seller_hidden"))
    kept, taken_down = review(seller, 5), review(seller, 1)
    deliver(event("review.created", kept), event("review.created", taken_down))
    assert stats_of(seller)[:2] == (3, 2)

    deliver(event("review.hidden", hidden(taken_down)))
    assert stats_of(seller)[:2] == (5, 1)
    deliver(event("review.created", taken_down))  # the review told again after it was hidden (a replay)
    assert stats_of(seller)[:2] == (5, 1)

    late = review(seller, 1)  # hidden before its review.created arrived (redelivered, dead-lettered...)
    deliver(event("review.hidden", hidden(late)))
    deliver(event("review.created", late))
    assert stats_of(seller)[:2] == (5, 1)


def published_reviews(buyer_id: str, seller_id: str, *ratings: tuple[str, int]) -> dict:
    """review.published for one order: ``ratings`` as (direction, stars)."""
    parties = {"buyer_to_seller": buyer_id, "seller_to_buyer": seller_id}
    return {"order_id": str(uuid.uuid4()), "gig_id": str(uuid.uuid4()), "buyer_id": buyer_id, "seller_id": seller_id,
            "reason": "both_reviewed" if len(ratings) == 2 else "window_closed",
            "published_at": "2026-05-21T08:00:00Z",
            "reviews": [{"review_id": str(uuid.uuid4()), "direction": direction, "author_id": parties[direction],
                         "rating": stars, "comment": "", "created_at": "2026-05-20T12:00:00Z"}
                        for direction, stars in ratings],
            **RATINGS, "buyer_rating": {"rating_avg": "4.00", "rating_count": 1}}


def buyer_stats_of(user_id: str) -> tuple:
    profile = Profile.objects.get(user_id=user_id)
    return profile.buyer_rating_avg, profile.buyer_rating_count


def test_published_reviews_move_the_sellers_stats_and_the_buyers_buyer_stats_once(db):
    buyer, seller = str(uuid.uuid4()), str(uuid.uuid4())
    deliver(registered(buyer, "buyer_pub"), registered(seller, "seller_pub"))
    both = published_reviews(buyer, seller, ("buyer_to_seller", 5), ("seller_to_buyer", 4))
    deliver(event("review.published", both))
    deliver(event("review.published", both))  # told again under another event id: one row per review
    assert stats_of(seller)[:2] == (5, 1) and buyer_stats_of(buyer) == (4, 1)
    assert buyer_stats_of(seller) == (None, 0) and stats_of(buyer)[:2] == (None, 0)

    deliver(event("review.published", published_reviews(buyer, seller, ("seller_to_buyer", 3))))  # a lone one
    assert buyer_stats_of(buyer) == (Decimal("3.50"), 2) and stats_of(seller)[:2] == (5, 1)


def test_a_sellers_review_taken_down_leaves_the_buyer_stats(db):
    buyer, seller = str(uuid.uuid4()), str(uuid.uuid4())
    deliver(registered(buyer, "buyer_down"), registered(seller, "seller_down"))
    kept = published_reviews(buyer, seller, ("seller_to_buyer", 5))
    taken_down = published_reviews(buyer, seller, ("seller_to_buyer", 1))
    deliver(event("review.published", kept), event("review.published", taken_down))
    assert buyer_stats_of(buyer) == (3, 2)
    [review_data] = taken_down["reviews"]
    deliver(event("review.hidden", {
        "review_id": review_data["review_id"], "order_id": taken_down["order_id"], "gig_id": taken_down["gig_id"],
        "seller_id": seller, "buyer_id": buyer, "direction": "seller_to_buyer", "reason": "abusive",
        "hidden_at": "2026-05-22T09:00:00Z", **RATINGS, "buyer_rating": {"rating_avg": "5.00", "rating_count": 1}}))
    assert buyer_stats_of(buyer) == (5, 1)
    deliver(event("review.published", taken_down))  # a replay after the take-down
    assert buyer_stats_of(buyer) == (5, 1) and stats_of(seller)[:2] == (None, 0)
