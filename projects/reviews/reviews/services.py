"""Every write of the review service, and the events it owes the others.

A review and the aggregates it moves change in one transaction, and ``review.created`` (or
``review.hidden``) carries the aggregates as they are after it, for the gig and user services'
read models and the seller's notification.
"""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from marketplace_libs.errors import Conflict, Forbidden, NotFound, NotYet
from marketplace_libs.readmodels import ensure_card, keep_card
from marketplace_libs.tallies import rounded_average

from . import events
from .models import Person, RatingAggregate, Review, ReviewableOrder, Subject


# How long order.completed usually takes to arrive (docs/performance.md: about a second end to end).
COMPLETION_RETRY_SECONDS = 2


# --- facts from other services ------------------------------------------------------------------

def record_completed_order(*, order_id, gig_id, buyer_id, seller_id, completed_at: datetime) -> None:
    ReviewableOrder.objects.bulk_create([ReviewableOrder(order_id=order_id, gig_id=gig_id, buyer_id=buyer_id,
                                                         seller_id=seller_id, completed_at=completed_at)],
                                        ignore_conflicts=True)


def record_person(*, user_id, username: str, display_name: str = "", revision: int = 0) -> None:
    keep_card(Person, user_id=user_id, username=username, display_name=display_name, revision=revision)


# --- reviews -----------------------------------------------------------------------------------

def submit_review(*, order_id, buyer_id, buyer_username: str, rating: int, comment: str) -> Review:
    order = ReviewableOrder.objects.filter(pk=order_id).first()
    if order is None:
        # order.completed reaches this service a second or so after the accept: from here, an order completed a
        # moment ago and one that is not (or does not exist) look the same, so the answer says both.
        raise NotYet("This service does not know the order as completed. An order accepted in the last few "
                     "seconds becomes reviewable shortly: retry after Retry-After seconds. Only completed orders "
                     "can be reviewed.", code="completion_pending", retry_after=COMPLETION_RETRY_SECONDS)
    if str(order.buyer_id) != str(buyer_id):
        raise Forbidden("Only the buyer of a completed order may review it.")
    buyer = ensure_card(Person, user_id=buyer_id, username=buyer_username)
    try:
        with transaction.atomic():
            review = Review.objects.create(order_id=order.order_id, gig_id=order.gig_id, seller_id=order.seller_id,
                                           buyer=buyer, rating=rating, comment=comment)
            events.review_created(review, aggregates=_count(review, +1))
    except IntegrityError:
        raise Conflict("This order has been reviewed already.") from None
    return review


def reply(*, review_id, seller_id, comment: str) -> Review:
    with transaction.atomic():
        review = Review.objects.select_for_update().filter(pk=review_id, is_hidden=False).first()
        if review is None:
            raise NotFound("No such review.")
        if str(review.seller_id) != str(seller_id):
            raise Forbidden("Only the seller of the reviewed order may reply.")
        if review.replied_at is not None:
            raise Conflict("The seller has replied already.")
        review.reply, review.replied_at = comment, timezone.now()
        review.save(update_fields=["reply", "replied_at"])
    return review


def hide_review(*, review_id, reason: str) -> bool:
    """Staff hide a review: readers no longer see it and the ratings no longer count it."""
    with transaction.atomic():
        review = Review.objects.select_for_update().get(pk=review_id)
        if review.is_hidden:
            return False
        review.is_hidden, review.hidden_reason, review.hidden_at = True, reason[:500], timezone.now()
        review.save(update_fields=["is_hidden", "hidden_reason", "hidden_at"])
        events.review_hidden(review, aggregates=_count(review, -1))
    return True


def _count(review: Review, step: int) -> dict:
    """Add (or take away) ``review`` in its gig's and seller's aggregates; both as they are now."""
    result = {}
    for subject_type, subject_id, key in ((Subject.GIG, review.gig_id, "gig_rating"),
                                          (Subject.SELLER, review.seller_id, "seller_rating")):
        RatingAggregate.objects.get_or_create(subject_type=subject_type, subject_id=subject_id)
        RatingAggregate.objects.filter(subject_type=subject_type, subject_id=subject_id).update(**{
            "count": F("count") + step, "total": F("total") + step * review.rating,
            f"stars_{review.rating}": F(f"stars_{review.rating}") + step})
        aggregate = RatingAggregate.objects.get(subject_type=subject_type, subject_id=subject_id)
        result[key] = {"rating_avg": _avg_text(aggregate), "rating_count": aggregate.count}
    return result


def _avg_text(aggregate: RatingAggregate) -> str | None:
    average = rounded_average(aggregate.total, aggregate.count)
    return None if average is None else f"{average:.2f}"
