"""Reads of the review service.

Who sees a review: everyone once it is published (and not taken down by staff); its author alone before.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q, QuerySet

from marketplace_libs.tallies import rounded_average

from .models import Direction, Person, RatingAggregate, Review, ReviewableOrder, Status


def public_reviews(*, gig_id=None, seller_id=None, buyer_id=None) -> QuerySet[Review]:
    """The published reviews of a gig or a seller (by their buyers), or of a buyer (by their sellers)."""
    reviews = Review.objects.filter(is_hidden=False, status=Status.PUBLISHED).select_related("author")
    if buyer_id is not None:
        reviews = reviews.filter(direction=Direction.SELLER_TO_BUYER, buyer_id=buyer_id)
    else:
        reviews = reviews.filter(direction=Direction.BUYER_TO_SELLER)
    if gig_id is not None:
        reviews = reviews.filter(gig_id=gig_id)
    if seller_id is not None:
        reviews = reviews.filter(seller_id=seller_id)
    return reviews.order_by("-published_at", "id")


def reviews_seen_by(user_id) -> QuerySet[Review]:
    """The reviews ``user_id`` (None: anyone) may read: the published ones and their own."""
    seen = Q(status=Status.PUBLISHED)
    if user_id is not None:
        seen |= Q(author_id=user_id)
    return Review.objects.filter(seen, is_hidden=False).select_related("author")


def order_reviews(*, order_id, user_id) -> QuerySet[Review]:
    return reviews_seen_by(user_id).filter(order_id=order_id).order_by("direction")


def buyers_of(reviews) -> dict:
    """The cards of the buyers whom ``reviews`` written by sellers rate, by id (the others name their author)."""
    ids = {review.buyer_id for review in reviews if review.direction == Direction.SELLER_TO_BUYER}
    return Person.objects.in_bulk(ids) if ids else {}


def review_window_end(order_id) -> datetime:
    """When the parties of a completed order can no longer review it, and a lone review is published."""
    completed_at = ReviewableOrder.objects.values_list("completed_at", flat=True).get(pk=order_id)
    return completed_at + timedelta(days=settings.REVIEW_WINDOW_DAYS)


def summary(subject_type: str, subject_id) -> dict:
    aggregate = RatingAggregate.objects.filter(subject_type=subject_type, subject_id=subject_id).first()
    if aggregate is None:
        aggregate = RatingAggregate()
    average = rounded_average(aggregate.total, aggregate.count)
    return {
        "rating_avg": None if average is None else f"{average:.2f}",
        "rating_count": aggregate.count,
        "distribution": {str(stars): getattr(aggregate, f"stars_{stars}") for stars in range(1, 6)},
    }
