"""Reviews of completed orders (both ways, double-blind), the facts that make an order reviewable,
and rating aggregates."""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone

from marketplace_libs.readmodels import UserCard

COMMENT_MAX = 2000
REPLY_MAX = 2000


class ReviewableOrder(models.Model):
    """A completed order, as ``order.completed`` told it: its buyer and its seller may review it (once each)
    until the window closes. Its row is the lock that puts the two parties' submissions and the window's
    scheduler in line, so that the reviews of one order are published once, together."""

    order_id = models.UUIDField(primary_key=True)
    gig_id = models.UUIDField()
    buyer_id = models.UUIDField()
    seller_id = models.UUIDField()
    completed_at = models.DateTimeField()


class Person(UserCard):
    """A reviewer's name, from ``user.registered``/``user.profile_updated``."""


class Direction(models.TextChoices):
    BUYER_TO_SELLER = "buyer_to_seller"  # rates the seller and the gig
    SELLER_TO_BUYER = "seller_to_buyer"  # rates the buyer


class Status(models.TextChoices):
    """Double-blind: a review is seen only by its author until both parties have reviewed or the window closed."""
    HIDDEN = "hidden"
    PUBLISHED = "published"


class Review(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    order_id = models.UUIDField()
    direction = models.CharField(max_length=15, choices=Direction.choices, default=Direction.BUYER_TO_SELLER)
    status = models.CharField(max_length=9, choices=Status.choices, default=Status.HIDDEN)
    gig_id = models.UUIDField()
    seller_id = models.UUIDField()
    # The order's buyer, whichever way the review goes. An id, not a card: the card of a buyer reviewed by their
    # seller may not have reached this service yet (user.registered), and the review must not wait for it.
    buyer_id = models.UUIDField(db_index=True)
    author = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="reviews")
    rating = models.PositiveSmallIntegerField()
    comment = models.TextField(max_length=COMMENT_MAX, blank=True)
    reply = models.TextField(max_length=REPLY_MAX, blank=True)
    replied_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    # Moderation, apart from the double-blind status: staff took the review down (review.hidden).
    is_hidden = models.BooleanField(default=False)
    hidden_reason = models.CharField(max_length=500, blank=True)
    hidden_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(rating__gte=1, rating__lte=5), name="review_rating_1_to_5"),
            # Once per party and order, by the database itself: two submissions at once cannot both land.
            models.UniqueConstraint(fields=["order_id", "direction"], name="review_once_per_party"),
            models.CheckConstraint(condition=Q(status=Status.HIDDEN, published_at__isnull=True)
                                   | Q(status=Status.PUBLISHED, published_at__isnull=False),
                                   name="review_published_at_with_status"),
        ]
        indexes = [
            models.Index(fields=["gig_id", "-published_at", "id"], name="review_gig_public_idx",
                         condition=Q(is_hidden=False, status="published", direction="buyer_to_seller")),
            models.Index(fields=["seller_id", "-published_at", "id"], name="review_seller_public_idx",
                         condition=Q(is_hidden=False, status="published", direction="buyer_to_seller")),
            models.Index(fields=["buyer_id", "-published_at", "id"], name="review_buyer_public_idx",
                         condition=Q(is_hidden=False, status="published", direction="seller_to_buyer")),
            # What the window's scheduler looks for.
            models.Index(fields=["order_id"], name="review_awaiting_idx", condition=Q(status="hidden")),
        ]

    @property
    def subject_id(self):
        """Whom the review rates."""
        return self.seller_id if self.direction == Direction.BUYER_TO_SELLER else self.buyer_id

    def __str__(self) -> str:
        return f"{self.rating}★ on order {self.order_id}"


class Subject(models.TextChoices):
    GIG = "gig"
    SELLER = "seller"
    BUYER = "buyer"


class RatingAggregate(models.Model):
    """The published, not moderated reviews of one gig, seller or buyer, counted per star; changed as reviews
    are published or taken down."""

    subject_type = models.CharField(max_length=6, choices=Subject.choices)
    subject_id = models.UUIDField()
    count = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    stars_1 = models.PositiveIntegerField(default=0)
    stars_2 = models.PositiveIntegerField(default=0)
    stars_3 = models.PositiveIntegerField(default=0)
    stars_4 = models.PositiveIntegerField(default=0)
    stars_5 = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["subject_type", "subject_id"], name="aggregate_per_subject")]
