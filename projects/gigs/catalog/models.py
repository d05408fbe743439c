"""Gigs, their packages, images and categories; and the read models other services' events feed."""

from __future__ import annotations

import uuid

from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.utils import timezone

from marketplace_libs.files.storage import stored_files
from marketplace_libs.readmodels import UserCard


class Category(models.Model):
    slug = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=80)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "name"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name if self.parent_id is None else f"{self.parent.name} › {self.name}"


class Seller(UserCard):
    """What the gig service shows of a seller, from ``user.profile_updated`` (or the token at first)."""

    # The user service's seller level (docs/trust-signals.md), kept by the card's revision like the name.
    level = models.CharField(max_length=10, default="new", db_default="new")


class Tag(models.Model):
    name = models.CharField(max_length=30, unique=True)

    def __str__(self) -> str:
        return self.name


class SearchWord(models.Model):
    """A plain word of an active gig's title or tags: what a misspelt search word is corrected to
    (search/vocabulary.py; PostgreSQL only)."""

    word = models.CharField(primary_key=True, max_length=100)

    def __str__(self) -> str:
        return self.word


class GigStatus(models.TextChoices):
    DRAFT = "draft"
    ACTIVE = "active"
    PAUSED = "paused"


class Gig(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    seller = models.ForeignKey(Seller, on_delete=models.PROTECT, related_name="gigs")
    title = models.CharField(max_length=100)
    description = models.TextField(max_length=5000)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="gigs")
    tags = models.ManyToManyField(Tag, blank=True, related_name="gigs")
    status = models.CharField(max_length=10, choices=GigStatus.choices, default=GigStatus.DRAFT)
    paused_by_staff = models.BooleanField(default=False)
    # Kept by services from the packages and tags: what search filters, orders and matches on.
    price_from = models.DecimalField(max_digits=9, decimal_places=2)
    currency = models.CharField(max_length=3)
    fastest_delivery_days = models.PositiveSmallIntegerField()
    tags_text = models.CharField(max_length=200, blank=True)
    search_vector = SearchVectorField(null=True, editable=False)  # PostgreSQL only; unused on SQLite
    # From other services' events.
    rating_avg = models.DecimalField(max_digits=3, decimal_places=2, null=True, blank=True)
    rating_count = models.PositiveIntegerField(default=0)
    orders_count = models.PositiveIntegerField(default=0)
    # Kept by services.save_favourite/remove_favourite, moved only by a row really inserted or deleted.
    # db_default: rows written by code that predates the column still get a count.
    favourites_count = models.PositiveIntegerField(default=0, db_default=0)
    revision = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["status", "category", "price_from", "id"], name="gig_browse_price_idx"),
            models.Index(fields=["status", "-created_at", "id"], name="gig_recent_idx"),
            models.Index(fields=["seller", "status"], name="gig_seller_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


class PackageTier(models.TextChoices):
    BASIC = "basic"
    STANDARD = "standard"
    PREMIUM = "premium"


TIER_ORDER = {PackageTier.BASIC: 0, PackageTier.STANDARD: 1, PackageTier.PREMIUM: 2}


class Package(models.Model):
    gig = models.ForeignKey(Gig, on_delete=models.CASCADE, related_name="packages")
    tier = models.CharField(max_length=10, choices=PackageTier.choices)
    title = models.CharField(max_length=60)
    description = models.TextField(max_length=600)
    price = models.DecimalField(max_digits=9, decimal_places=2)
    currency = models.CharField(max_length=3)
    delivery_days = models.PositiveSmallIntegerField()
    revisions = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Empty means unlimited.")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["gig", "tier"], name="package_one_per_tier")]

    def __str__(self) -> str:
        return f"{self.gig_id} {self.tier}"


def gig_image_path(image: "GigImage", filename: str) -> str:
    return f"gigs/{image.gig_id}/{filename}"


class GigImage(models.Model):
    """On the ``files`` storage (S3 or var/media/gigs/), shown through short-lived signed links."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    gig = models.ForeignKey(Gig, on_delete=models.CASCADE, related_name="images")
    file = models.FileField(upload_to=gig_image_path, max_length=200, storage=stored_files)
    # Made by the worker after the upload (catalog.tasks); empty until then.
    thumbnail = models.FileField(max_length=200, blank=True, storage=stored_files)
    position = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["position", "created_at"]


class Favourite(models.Model):
    """A user saved a gig (``PUT /api/gigs/<id>/favourite``): once per user and gig."""

    user_id = models.UUIDField()
    gig = models.ForeignKey(Gig, on_delete=models.CASCADE, related_name="favourites")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user_id", "gig"], name="favourite_once_per_user")]
        indexes = [models.Index(fields=["user_id", "-created_at", "-id"], name="favourite_user_recent_idx")]


class GigRating(models.Model):
    """One row per buyer's review of the gig (``review.published``; before it ``review.created``): a review told
    twice counts once."""

    review_id = models.UUIDField(primary_key=True)
    gig_id = models.UUIDField(db_index=True)
    rating = models.PositiveSmallIntegerField(null=True, help_text="Unknown when review.hidden came first.")
    # Kept, not deleted, when staff hide the review: review.created told again afterwards (a replay, a
    # late delivery) then finds the row and still does not count.
    hidden = models.BooleanField(default=False)


class GigSale(models.Model):
    """One row per completed order (``order.completed``)."""

    order_id = models.UUIDField(primary_key=True)
    gig_id = models.UUIDField(db_index=True)
