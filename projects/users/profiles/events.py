"""The events the user service publishes: one function per type, its payload's shape in one place.

Each runs inside the transaction of the change it reports.
"""

from __future__ import annotations

from django.utils import timezone

from marketplace_libs.events.publishing import publish
from marketplace_libs.times import iso_utc

from .models import Preferences, Profile, SellerProfile


def profile_updated(profile: Profile) -> None:
    """The public card others show beside the user's gigs, reviews and messages (and the seller level)."""
    publish("user.profile_updated", {
        "user_id": str(profile.user_id),
        "username": profile.username,
        "display_name": profile.display_name,
        "avatar_url": profile.avatar.url if profile.avatar else None,
        "country": profile.country,
        "is_seller": profile.is_seller,
        "revision": profile.revision,
        "level": profile.level,
        "updated_at": iso_utc(timezone.now()),
    }, aggregate_id=str(profile.user_id))


def seller_activated(profile: Profile, seller: SellerProfile) -> None:
    publish("user.seller_activated", {
        "user_id": str(profile.user_id), "username": profile.username, "headline": seller.headline,
        "activated_at": iso_utc(seller.activated_at),
    }, aggregate_id=str(profile.user_id))


def preferences_updated(preferences: Preferences) -> None:
    publish("user.preferences_updated", {
        "user_id": str(preferences.profile_id),
        "email_notifications": preferences.email_notifications,
        "message_emails": preferences.message_emails,
        "language": preferences.language,
        "currency": preferences.currency,
        "timezone": preferences.timezone,
        "revision": preferences.revision,
    }, aggregate_id=str(preferences.profile_id))
