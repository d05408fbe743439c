"""The events the review service publishes: one function per type, its payload's shape in one place.

Both carry the gig's and the seller's aggregates as they are after the change, for the gig and user
services' read models. Each runs inside the transaction of the change it reports.
"""

from __future__ import annotations

from marketplace_libs.events.publishing import publish
from marketplace_libs.times import iso_utc

from .models import Review


def review_created(review: Review, *, aggregates: dict) -> None:
    publish("review.created", {
        "review_id": str(review.pk), "order_id": str(review.order_id), "gig_id": str(review.gig_id),
        "buyer_id": str(review.buyer_id), "seller_id": str(review.seller_id), "rating": review.rating,
        "comment": review.comment, "created_at": iso_utc(review.created_at), **aggregates,
    }, aggregate_id=str(review.seller_id))


def review_hidden(review: Review, *, aggregates: dict) -> None:
    publish("review.hidden", {
        "review_id": str(review.pk), "order_id": str(review.order_id), "gig_id": str(review.gig_id),
        "seller_id": str(review.seller_id), "reason": review.hidden_reason,
        "hidden_at": iso_utc(review.hidden_at), **aggregates,
    }, aggregate_id=str(review.seller_id))
