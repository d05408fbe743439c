"""Reads of the review service."""

from __future__ import annotations

from django.db.models import QuerySet

from marketplace_libs.tallies import rounded_average

from .models import RatingAggregate, Review


def visible_reviews(*, gig_id=None, seller_id=None) -> QuerySet[Review]:
    reviews = Review.objects.filter(is_hidden=False).select_related("buyer")
    if gig_id is not None:
        reviews = reviews.filter(gig_id=gig_id)
    if seller_id is not None:
        reviews = reviews.filter(seller_id=seller_id)
    return reviews.order_by("-created_at", "id")


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
