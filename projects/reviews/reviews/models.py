"""Reviews of completed orders, the facts that make an order reviewable, and rating aggregates."""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone

from marketplace_libs.readmodels import UserCard

COMMENT_MAX = 2000
REPLY_MAX = 2000


class ReviewableOrder(models.Model):
    """A completed order, as ``order.completed`` told it: only its buyer may review it."""

    order_id = models.UUIDField(primary_key=True)
    gig_id = models.UUIDField()
    buyer_id = models.UUIDField()
    seller_id = models.UUIDField()
    completed_at = models.DateTimeField()


class Person(UserCard):
    """A reviewer's name, from ``user.registered``/``user.profile_updated``."""


class Review(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # One review per order, by the database itself: two submissions at once cannot both land.
    order_id = models.UUIDField(unique=True)
    gig_id = models.UUIDField()
    seller_id = models.UUIDField()
    buyer = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="reviews")
    rating = models.PositiveSmallIntegerField()
    comment = models.TextField(max_length=COMMENT_MAX, blank=True)
    reply = models.TextField(max_length=REPLY_MAX, blank=True)
    replied_at = models.DateTimeField(null=True, blank=True)
    is_hidden = models.BooleanField(default=False)
    hidden_reason = models.CharField(max_length=500, blank=True)
    hidden_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(rating__gte=1, rating__lte=5), name="review_rating_1_to_5")]
        indexes = [
            models.Index(fields=["gig_id", "-created_at", "id"], name="review_gig_idx",
                         condition=Q(is_hidden=False)),
            models.Index(fields=["seller_id", "-created_at", "id"], name="review_seller_idx",
                         condition=Q(is_hidden=False)),
        ]

    def __str__(self) -> str:
        return f"{self.rating}★ on order {self.order_id}"


class Subject(models.TextChoices):
    GIG = "gig"
    SELLER = "seller"


class RatingAggregate(models.Model):
    """The visible reviews of one gig or one seller, counted per star; changed with each review."""

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
