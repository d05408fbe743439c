"""The events the review service publishes: one function per type, its payload's shape in one place.

Each carries the gig's, the seller's and the buyer's ratings as they are after the change, for the gig
and user services' read models. Each runs inside the transaction of the change it reports.

``review.created`` is no longer published: a review is not public when it is written (double-blind), and
``review.published`` tells of both reviews of an order when they become public (docs/reviews.md, "Events").
"""

from __future__ import annotations

from datetime import datetime

from marketplace_libs.events.publishing import publish
from marketplace_libs.times import iso_utc

from .models import Review, ReviewableOrder


def review_submitted(review: Review) -> None:
    """Who reviewed which way, without the review: it is still hidden (double-blind) from all but its author."""
    publish("review.submitted", {
        "order_id": str(review.order_id), "direction": review.direction, "author_id": str(review.author_id),
        "submitted_at": iso_utc(review.created_at),
    }, aggregate_id=str(review.order_id))


def reviews_published(order: ReviewableOrder, reviews: list[Review], *, reason: str, published_at: datetime,
                      aggregates: dict) -> None:
    publish("review.published", {
        "order_id": str(order.order_id), "gig_id": str(order.gig_id), "buyer_id": str(order.buyer_id),
        "seller_id": str(order.seller_id), "reason": reason, "published_at": iso_utc(published_at),
        "reviews": [{
            "review_id": str(review.pk), "direction": review.direction, "author_id": str(review.author_id),
            "rating": review.rating, "comment": review.comment, "created_at": iso_utc(review.created_at),
        } for review in reviews],
        **aggregates,
    }, aggregate_id=str(order.seller_id))


def review_hidden(review: Review, *, aggregates: dict) -> None:
    publish("review.hidden", {
        "review_id": str(review.pk), "order_id": str(review.order_id), "gig_id": str(review.gig_id),
        "seller_id": str(review.seller_id), "buyer_id": str(review.buyer_id), "direction": review.direction,
        "reason": review.hidden_reason, "hidden_at": iso_utc(review.hidden_at), **aggregates,
    }, aggregate_id=str(review.seller_id))
