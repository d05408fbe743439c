"""Profiles, as the user service owns them, and the facts from other services its stats count."""

from __future__ import annotations

from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from marketplace_libs import reference

from . import validators


def avatar_path(profile: "Profile", filename: str) -> str:
    # A fresh name per upload: the gateway serves media with a long cache lifetime.
    return f"avatars/{profile.user_id}/{filename}"


class Profile(models.Model):
    """One per account of the auth service, keyed by the same id."""

    user_id = models.UUIDField(primary_key=True)
    username = models.CharField(max_length=30)
    email = models.EmailField(blank=True, help_text="Private: from the registration event, never shown publicly.")
    display_name = models.CharField(max_length=validators.DISPLAY_NAME_MAX, blank=True)
    bio = models.TextField(max_length=validators.BIO_MAX, blank=True)
    country = models.CharField(max_length=2, blank=True, validators=[validators.validate_country])
    languages = models.JSONField(default=list, blank=True, validators=[validators.validate_languages])
    skills = models.JSONField(default=list, blank=True, validators=[validators.validate_skills])
    avatar = models.FileField(upload_to=avatar_path, blank=True, max_length=200)
    is_active = models.BooleanField(default=True)
    deactivation_reason = models.CharField(max_length=500, blank=True)
    # When the auth service last deactivated or reactivated the account, by its clock: an older event
    # arriving after a newer one must not undo it.
    active_changed_at = models.DateTimeField(null=True, blank=True)
    # Grows with every change of the public card, so other services' read models keep the newest.
    revision = models.PositiveIntegerField(default=0)
    rating_avg = models.DecimalField(max_digits=3, decimal_places=2, null=True, blank=True)
    rating_count = models.PositiveIntegerField(default=0)
    orders_completed = models.PositiveIntegerField(default=0)
    # As a buyer: the published reviews their sellers wrote of them (review.published).
    buyer_rating_avg = models.DecimalField(max_digits=3, decimal_places=2, null=True, blank=True)
    buyer_rating_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(Lower("username"), name="profile_username_ci_unique")]
        indexes = [models.Index(fields=["email"], name="profile_email_idx")]

    def __str__(self) -> str:
        return self.username

    @property
    def is_seller(self) -> bool:
        return hasattr(self, "seller")


class SellerProfile(models.Model):
    profile = models.OneToOneField(Profile, primary_key=True, on_delete=models.CASCADE, related_name="seller")
    headline = models.CharField(max_length=validators.HEADLINE_MAX)
    description = models.TextField(max_length=validators.DESCRIPTION_MAX)
    activated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.profile.username}: {self.headline}"


class Preferences(models.Model):
    profile = models.OneToOneField(Profile, primary_key=True, on_delete=models.CASCADE, related_name="preferences")
    email_notifications = models.BooleanField(default=True)
    message_emails = models.BooleanField(default=True)
    language = models.CharField(max_length=2, default=reference.DEFAULT_LANGUAGE,
                                validators=[validators.validate_language])
    currency = models.CharField(max_length=3, default=reference.DEFAULT_CURRENCY,
                                validators=[validators.validate_currency])
    timezone = models.CharField(max_length=64, default=reference.DEFAULT_TIMEZONE,
                                validators=[validators.validate_timezone])
    revision = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name_plural = "preferences"

    def __str__(self) -> str:
        return f"preferences of {self.profile_id}"


class SellerRating(models.Model):
    """A buyer's review of a seller, as ``review.published`` (before it ``review.created``) told it: one row per
    review, so a review counted
    twice (the same event redelivered, or replayed under another id) cannot skew the average."""

    review_id = models.UUIDField(primary_key=True)
    seller_id = models.UUIDField(db_index=True)
    rating = models.PositiveSmallIntegerField(null=True, help_text="Unknown when review.hidden came first.")
    created_at = models.DateTimeField()
    # Kept, not deleted, when staff hide the review: review.created told again afterwards (a replay, a
    # late delivery) then finds the row and still does not count.
    hidden = models.BooleanField(default=False)


class BuyerRating(models.Model):
    """A seller's published review of a buyer (``review.published``, ``seller_to_buyer``): one row per review,
    kept (``hidden``) when staff take it down, as ``SellerRating``."""

    review_id = models.UUIDField(primary_key=True)
    buyer_id = models.UUIDField(db_index=True)
    rating = models.PositiveSmallIntegerField(null=True, help_text="Unknown when review.hidden came first.")
    created_at = models.DateTimeField()
    hidden = models.BooleanField(default=False)


class CompletedSale(models.Model):
    """An order a seller completed, as ``order.completed`` told it: one row per order."""

    order_id = models.UUIDField(primary_key=True)
    seller_id = models.UUIDField(db_index=True)
    completed_at = models.DateTimeField()
