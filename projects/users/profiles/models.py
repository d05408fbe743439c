"""Profiles, as the user service owns them, and the facts from other services its stats count."""

from __future__ import annotations

from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from marketplace_libs import reference

from . import validators


class Level(models.TextChoices):
    """Seller levels, lowest first (thresholds: settings.SELLER_LEVELS, docs/trust-signals.md)."""

    NEW = "new"
    LEVEL_ONE = "level_one"
    LEVEL_TWO = "level_two"
    TOP_RATED = "top_rated"


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
    # The seller level (trust.py), kept here because it is part of the public card user.profile_updated carries.
    level = models.CharField(max_length=10, choices=Level.choices, default=Level.NEW, db_default=Level.NEW)
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
    # Others see whether the user is online and when they were last seen only if this is on.
    show_online_status = models.BooleanField(default=True, db_default=True)
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


# --- the facts trust signals are computed from (docs/trust-signals.md) ----------------------------

class OrderFact(models.Model):
    """What the order events told of one order, merged so that any arrival order gives the same row:
    ``due_at`` only moves later (extensions), the first delivery is the earliest one told, and an order
    once paid, completed or cancelled stays so."""

    order_id = models.UUIDField(primary_key=True)
    seller_id = models.UUIDField(db_index=True)
    paid = models.BooleanField(default=False)
    due_at = models.DateTimeField(null=True, blank=True)
    first_delivered_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)


class SellerTally(models.Model):
    """A seller's counts over their ``OrderFact`` rows, kept up to date by each order event (trust.py) and
    rebuilt from the facts by the nightly recompute; the rates shown are computed from them."""

    seller_id = models.UUIDField(primary_key=True)
    completed_orders = models.PositiveIntegerField(default=0)
    # Orders whose outcome the seller is judged by: completed, or cancelled after the buyer paid.
    settled_orders = models.PositiveIntegerField(default=0)
    # Orders whose timeliness is known: delivered (on time or not), or cancelled past due undelivered (late).
    timed_orders = models.PositiveIntegerField(default=0)
    on_time_orders = models.PositiveIntegerField(default=0)
    # The median hours to a first reply over the response-time window; null with no answered conversation.
    response_time_hours = models.DecimalField(max_digits=6, decimal_places=1, null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)


class FirstMessage(models.Model):
    """The first message each participant sent in a conversation (``message.sent`` with the lowest
    ``seq`` told): the opening one (seq 1) is the buyer's question, the other participant's is the
    seller's first reply."""

    conversation_id = models.UUIDField()
    sender_id = models.UUIDField()
    recipient_id = models.UUIDField()
    seq = models.PositiveIntegerField()
    sent_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["conversation_id", "sender_id"],
                                               name="first_message_per_sender")]
        indexes = [models.Index(fields=["recipient_id", "sent_at"], name="first_message_recipient_idx")]


class Presence(models.Model):
    """Whether the user has a chat socket open, from chat's ``presence.changed`` (the highest revision)."""

    user_id = models.UUIDField(primary_key=True)
    online = models.BooleanField(default=False)
    changed_at = models.DateTimeField()
    revision = models.PositiveIntegerField(default=0)
