"""Every write of the review service, and the events it owes the others.

Reviews go both ways and are double-blind: a review is written ``hidden`` (seen by its author alone) and
both reviews of an order are published together, when the second arrives or when the review window has
closed (``publish_reviews_past_window``, run by the service's scheduler). Only publication moves the
aggregates, and ``review.published`` carries them as they are after it, for the gig and user services'
read models and the parties' notifications. The order's ``ReviewableOrder`` row is locked by every write
that may publish, so that two parties reviewing at the same moment, or a party and the scheduler,
publish the order's reviews once.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from marketplace_libs.errors import Conflict, Forbidden, NotFound, NotYet
from marketplace_libs.readmodels import ensure_card, keep_card
from marketplace_libs.tallies import rounded_average

from . import events
from .models import Direction, Person, RatingAggregate, Review, ReviewableOrder, Status, Subject


class WindowClosed(Conflict):
    code = "review_window_closed"
    default_detail = ("The review window of this order has closed: reviews are written within "
                      "MARKETPLACE_REVIEW_WINDOW_DAYS of the completion.")


# How long order.completed usually takes to arrive (docs/performance.md: about a second end to end).
COMPLETION_RETRY_SECONDS = 2


def review_window() -> timedelta:
    return timedelta(days=settings.REVIEW_WINDOW_DAYS)


# --- facts from other services ------------------------------------------------------------------

def record_completed_order(*, order_id, gig_id, buyer_id, seller_id, completed_at: datetime) -> None:
    ReviewableOrder.objects.bulk_create([ReviewableOrder(order_id=order_id, gig_id=gig_id, buyer_id=buyer_id,
                                                         seller_id=seller_id, completed_at=completed_at)],
                                        ignore_conflicts=True)


def record_person(*, user_id, username: str, display_name: str = "", revision: int = 0) -> None:
    keep_card(Person, user_id=user_id, username=username, display_name=display_name, revision=revision)


# --- reviews -----------------------------------------------------------------------------------

def submit_review(*, order_id, author_id, author_username: str, rating: int, comment: str) -> Review:
    """The buyer's review of the seller and the gig, or the seller's of the buyer: once each, within the window.

    Stored hidden; publishes both reviews of the order when it is the second."""
    if not ReviewableOrder.objects.filter(pk=order_id).exists():
        # order.completed reaches this service a second or so after the accept: from here, an order completed a
        # moment ago and one that is not (or does not exist) look the same, so the answer says both.
        raise NotYet("This service does not know the order as completed. An order accepted in the last few "
                     "seconds becomes reviewable shortly: retry after Retry-After seconds. Only completed orders "
                     "can be reviewed.", code="completion_pending", retry_after=COMPLETION_RETRY_SECONDS)
    author = ensure_card(Person, user_id=author_id, username=author_username)
    try:
        with transaction.atomic():
            order = ReviewableOrder.objects.select_for_update().get(pk=order_id)
            direction = _direction(order, author_id)
            # The clock is read under the lock: the scheduler that closed the window holds it too.
            now = timezone.now()
            if now >= order.completed_at + review_window():
                raise WindowClosed(f"The review window of this order closed {settings.REVIEW_WINDOW_DAYS:g} days "
                                   "after its completion.")
            if Review.objects.filter(order_id=order.order_id, direction=direction).exists():
                raise Conflict("You have reviewed this order already.")
            if Review.objects.filter(order_id=order.order_id, status=Status.PUBLISHED).exists():
                # The other party's review went public when the window closed (by the scheduler's clock, which
                # may run ahead of this one): a review written after reading it would not be blind.
                raise WindowClosed()
            review = Review.objects.create(order_id=order.order_id, direction=direction, gig_id=order.gig_id,
                                           seller_id=order.seller_id, buyer_id=order.buyer_id, author=author,
                                           rating=rating, comment=comment, created_at=now)
            events.review_submitted(review)
            if Review.objects.filter(order_id=order.order_id).exclude(pk=review.pk).exists():
                _publish(order, reason="both_reviewed", at=now)
                review.refresh_from_db()
    except IntegrityError:  # the unique constraint, should anything get past the lock
        raise Conflict("You have reviewed this order already.") from None
    return review


def _direction(order: ReviewableOrder, author_id) -> str:
    if str(order.buyer_id) == str(author_id):
        return Direction.BUYER_TO_SELLER
    if str(order.seller_id) == str(author_id):
        return Direction.SELLER_TO_BUYER
    raise Forbidden("Only the buyer and the seller of a completed order may review it.")


def publish_reviews_past_window(*, now: datetime | None = None, limit: int = 500) -> int:
    """Publish the lone reviews of orders whose window has closed; safe to run twice at once. The number of
    orders whose reviews it published."""
    now = now or timezone.now()
    cutoff = now - review_window()
    due = list(ReviewableOrder.objects.filter(
        completed_at__lte=cutoff, order_id__in=Review.objects.filter(status=Status.HIDDEN).values("order_id"),
    ).order_by("completed_at").values_list("pk", flat=True)[:limit])
    published = 0
    for order_id in due:
        with transaction.atomic():
            # skip_locked: a party reviewing this order right now holds it; the next run takes it up.
            order = ReviewableOrder.objects.select_for_update(skip_locked=True).filter(pk=order_id).first()
            if order is not None and _publish(order, reason="window_closed", at=now):
                published += 1
    return published


def _publish(order: ReviewableOrder, *, reason: str, at: datetime) -> bool:
    """Publish the order's hidden reviews together (the caller holds the order's lock); count them and tell."""
    reviews = list(Review.objects.filter(order_id=order.order_id, status=Status.HIDDEN).order_by("direction"))
    if not reviews:
        return False
    Review.objects.filter(pk__in=[review.pk for review in reviews]).update(status=Status.PUBLISHED, published_at=at)
    # A review staff took down while it was hidden is published (its author sees it is no longer pending) but
    # counts nowhere and is not told: nobody outside this service has ever seen it.
    counted = [review for review in reviews if not review.is_hidden]
    if counted:
        aggregates = {}
        for review in counted:
            aggregates.update(_count(review, +1))
        events.reviews_published(order, counted, reason=reason, published_at=at, aggregates=_aggregates_of(
            gig_id=order.gig_id, seller_id=order.seller_id, buyer_id=order.buyer_id, changed=aggregates))
    return True


def reply(*, review_id, user_id, comment: str) -> Review:
    """The reviewed party answers a published review, once."""
    with transaction.atomic():
        review = Review.objects.select_for_update().filter(pk=review_id, is_hidden=False,
                                                           status=Status.PUBLISHED).first()
        if review is None:
            raise NotFound("No such review.")
        if str(review.subject_id) != str(user_id):
            raise Forbidden("Only the reviewed party may reply.")
        if review.replied_at is not None:
            raise Conflict("The review has a reply already.")
        review.reply, review.replied_at = comment, timezone.now()
        review.save(update_fields=["reply", "replied_at"])
    return review


def hide_review(*, review_id, reason: str) -> bool:
    """Staff take a review down: readers no longer see it and the ratings no longer count it."""
    with transaction.atomic():
        review = Review.objects.select_for_update().get(pk=review_id)
        if review.is_hidden:
            return False
        review.is_hidden, review.hidden_reason, review.hidden_at = True, reason[:500], timezone.now()
        review.save(update_fields=["is_hidden", "hidden_reason", "hidden_at"])
        if review.status == Status.PUBLISHED:  # a review still hidden counts nowhere yet
            events.review_hidden(review, aggregates=_aggregates_of(
                gig_id=review.gig_id, seller_id=review.seller_id, buyer_id=review.buyer_id, changed=_count(review, -1)))
    return True


def _subjects(review: Review):
    if review.direction == Direction.BUYER_TO_SELLER:
        return ((Subject.GIG, review.gig_id, "gig_rating"), (Subject.SELLER, review.seller_id, "seller_rating"))
    return ((Subject.BUYER, review.buyer_id, "buyer_rating"),)


def _count(review: Review, step: int) -> dict:
    """Add (or take away) ``review`` in the aggregates of whom it rates; those as they are now."""
    result = {}
    for subject_type, subject_id, key in _subjects(review):
        RatingAggregate.objects.get_or_create(subject_type=subject_type, subject_id=subject_id)
        RatingAggregate.objects.filter(subject_type=subject_type, subject_id=subject_id).update(**{
            "count": F("count") + step, "total": F("total") + step * review.rating,
            f"stars_{review.rating}": F(f"stars_{review.rating}") + step})
        result[key] = _rating(subject_type, subject_id)
    return result


def _aggregates_of(*, gig_id, seller_id, buyer_id, changed: dict) -> dict:
    """The gig's, the seller's and the buyer's ratings: those just changed, and the others as they are."""
    return {key: changed.get(key) or _rating(subject_type, subject_id)
            for subject_type, subject_id, key in ((Subject.GIG, gig_id, "gig_rating"),
                                                  (Subject.SELLER, seller_id, "seller_rating"),
                                                  (Subject.BUYER, buyer_id, "buyer_rating"))}


def _rating(subject_type: str, subject_id) -> dict:
    aggregate = RatingAggregate.objects.filter(subject_type=subject_type, subject_id=subject_id).first()
    count, total = (aggregate.count, aggregate.total) if aggregate else (0, 0)
    average = rounded_average(total, count)
    return {"rating_avg": None if average is None else f"{average:.2f}", "rating_count": count}
