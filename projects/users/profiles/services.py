"""Every write of the user service, and the events it owes the others.

Functions are keyword-only and transactional; each change others must hear of
publishes its event here, in the same transaction (the outbox), and nowhere else.
"""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone

from marketplace_libs.errors import Forbidden, NotFound
from marketplace_libs.images import ImageRules, processed_image
from marketplace_libs.tallies import rounded_average

from . import events, selectors, trust_services
from .models import BuyerRating, CompletedSale, Preferences, Profile, SellerProfile, SellerRating

AVATAR_RULES = ImageRules(max_bytes=2 * 1024 * 1024, max_side=512, min_side=32)
PUBLIC_CARD_FIELDS = ("display_name", "avatar", "country")  # what user.profile_updated carries
UNSET = object()


# --- profiles come into being -----------------------------------------------------------------

def ensure_profile(*, user_id, username: str) -> Profile:
    """The caller's profile, created from their token's claims if ``user.registered`` has not
    arrived yet (a new user never meets a 404); the event then fills in the rest."""
    profile = selectors.profile_by_id(user_id)
    if profile is not None:
        return profile
    _create_profile(user_id=user_id, username=username)
    return selectors.profile_by_id(user_id)


def record_registration(*, user_id, username: str, email: str, date_joined: datetime) -> None:
    """``user.registered``: the profile, or the email and join date of one created lazily."""
    profile, _created = _create_profile(user_id=user_id, username=username, email=email, created_at=date_joined)
    Profile.objects.filter(pk=profile.pk).update(username=username, email=email, created_at=date_joined)
    trust_services.refresh_level(seller_id=profile.pk)  # the account's age is known now


def _create_profile(*, user_id, username: str, **fields) -> tuple[Profile, bool]:
    try:
        with transaction.atomic():
            profile, created = Profile.objects.get_or_create(user_id=user_id, defaults={"username": username, **fields})
            if created:
                Preferences.objects.create(profile=profile)
                _refresh_stats(user_id)  # reviews or sales may have been counted before the profile existed
    except IntegrityError:
        # The event handler and a first request created it at the same moment: take theirs.
        profile, created = Profile.objects.get(user_id=user_id), False
    return profile, created


# --- the owner edits --------------------------------------------------------------------------

def _locked(profile: Profile) -> Profile:
    locked = Profile.objects.select_for_update(of=("self",)).select_related("seller", "preferences").get(pk=profile.pk)
    if not locked.is_active:
        raise Forbidden("This account is deactivated.")
    return locked


def update_profile(*, profile: Profile, avatar=UNSET, **changes) -> Profile:
    """Apply the validated ``changes``, and an uploaded ``avatar`` (None removes it)."""
    new_avatar = None
    if avatar is not UNSET and avatar is not None:
        new_avatar = processed_image(avatar, field="avatar", rules=AVATAR_RULES)  # refused before any write
    stored_name = ""
    try:
        with transaction.atomic():
            profile = _locked(profile)
            card_before = _public_card_of(profile)
            old_avatar_name = profile.avatar.name
            for field, value in changes.items():
                setattr(profile, field, value)
            if avatar is not UNSET:
                if new_avatar is None:
                    profile.avatar = ""
                else:
                    profile.avatar.save(new_avatar.name, new_avatar, save=False)
                    stored_name = profile.avatar.name
            card_changed = _public_card_of(profile) != card_before
            if card_changed:
                profile.revision += 1
            profile.save()
            if card_changed:
                events.profile_updated(profile)
            if avatar is not UNSET and old_avatar_name:
                storage = profile.avatar.storage
                transaction.on_commit(lambda: storage.delete(old_avatar_name))
    except BaseException:
        if stored_name:
            profile.avatar.storage.delete(stored_name)  # the change did not happen: nor does its file
        raise
    return selectors.profile_by_id(profile.pk)


def _public_card_of(profile: Profile) -> tuple:
    return profile.display_name, profile.avatar.name or "", profile.country


def become_seller(*, profile: Profile, headline: str, description: str) -> tuple[SellerProfile, bool]:
    """Open the seller profile; ``(seller, False)`` and no change when it is already open."""
    with transaction.atomic():
        profile = _locked(profile)
        if profile.is_seller:
            return profile.seller, False
        seller = SellerProfile.objects.create(profile=profile, headline=headline, description=description)
        profile.revision += 1
        profile.save(update_fields=["revision", "updated_at"])
        events.seller_activated(profile, seller)
        events.profile_updated(Profile.objects.select_related("seller").get(pk=profile.pk))
    return seller, True


def update_seller(*, profile: Profile, **changes) -> SellerProfile:
    with transaction.atomic():
        profile = _locked(profile)
        if not profile.is_seller:
            raise NotFound("You have no seller profile yet: POST me/seller opens one.")
        seller = profile.seller
        for field, value in changes.items():
            setattr(seller, field, value)
        seller.save()
    return seller


def update_preferences(*, profile: Profile, **changes) -> Preferences:
    with transaction.atomic():
        _locked(profile)
        preferences = Preferences.objects.select_for_update().get(profile_id=profile.pk)
        for field, value in changes.items():
            setattr(preferences, field, value)
        preferences.revision += 1
        preferences.save()
        events.preferences_updated(preferences)
    return preferences


# --- staff --------------------------------------------------------------------------------------

def save_edited_by_staff(*, profile: Profile, changed_fields: list[str]) -> None:
    """The admin saved ``profile``: publish its card if what others show changed."""
    with transaction.atomic():
        if set(changed_fields) & set(PUBLIC_CARD_FIELDS):
            profile.revision += 1
            profile.save()
            events.profile_updated(profile)
        else:
            profile.save()


def remove_avatar_by_staff(*, profile: Profile) -> None:
    with transaction.atomic():
        profile = Profile.objects.select_for_update(of=("self",)).select_related("seller").get(pk=profile.pk)
        old_name = profile.avatar.name
        if not old_name:
            return
        profile.avatar = ""
        profile.revision += 1
        profile.save()
        events.profile_updated(profile)
        storage = profile.avatar.storage
        transaction.on_commit(lambda: storage.delete(old_name))


# --- account state, as the auth service tells it ------------------------------------------------

def record_deactivation(*, user_id, reason: str, at: datetime) -> None:
    """``user.deactivated``: the public profile is hidden and can no longer be edited. An older event
    arriving after a newer one (a replayed dead letter) changes nothing."""
    _not_newer_than(at).filter(pk=user_id).update(
        is_active=False, deactivation_reason=reason[:500], active_changed_at=at, updated_at=timezone.now())


def record_reactivation(*, user_id, at: datetime) -> None:
    """``user.reactivated``: the profile is public again (unless a newer deactivation is known)."""
    _not_newer_than(at).filter(pk=user_id).update(
        is_active=True, deactivation_reason="", active_changed_at=at, updated_at=timezone.now())


def _not_newer_than(at: datetime):
    return Profile.objects.filter(Q(active_changed_at__isnull=True) | Q(active_changed_at__lt=at))


# --- stats, from other services' events -------------------------------------------------------

def record_published_reviews(*, reviews: list[dict], buyer_id, seller_id) -> None:
    """``review.published``: the buyer's review counts for the seller, the seller's for the buyer."""
    for review in reviews:
        if review["direction"] == "seller_to_buyer":
            record_buyer_review(review_id=review["review_id"], buyer_id=buyer_id, rating=review["rating"],
                                created_at=review["created_at"])
        else:
            record_review(review_id=review["review_id"], seller_id=seller_id, rating=review["rating"],
                          created_at=review["created_at"])


def record_review(*, review_id, seller_id, rating: int, created_at: datetime) -> None:
    SellerRating.objects.bulk_create(
        [SellerRating(review_id=review_id, seller_id=seller_id, rating=rating, created_at=created_at)],
        ignore_conflicts=True,  # the same review told twice counts once
    )
    _refresh_stats(seller_id)


def record_buyer_review(*, review_id, buyer_id, rating: int, created_at: datetime) -> None:
    BuyerRating.objects.bulk_create(
        [BuyerRating(review_id=review_id, buyer_id=buyer_id, rating=rating, created_at=created_at)],
        ignore_conflicts=True,
    )
    _refresh_buyer_stats(buyer_id)


def forget_review(*, review_id, seller_id, hidden_at: datetime, direction: str = "buyer_to_seller",
                  buyer_id=None) -> None:
    """``review.hidden``: staff took the review down; it no longer counts, even if told again later."""
    if direction == "seller_to_buyer":
        BuyerRating.objects.bulk_create(
            [BuyerRating(review_id=review_id, buyer_id=buyer_id, rating=None, created_at=hidden_at, hidden=True)],
            update_conflicts=True, unique_fields=["review_id"], update_fields=["hidden"],
        )
        _refresh_buyer_stats(buyer_id)
        return
    SellerRating.objects.bulk_create(
        [SellerRating(review_id=review_id, seller_id=seller_id, rating=None, created_at=hidden_at, hidden=True)],
        update_conflicts=True, unique_fields=["review_id"], update_fields=["hidden"],
    )
    _refresh_stats(seller_id)


def record_completed_sale(*, order_id, seller_id, completed_at: datetime) -> None:
    CompletedSale.objects.bulk_create(
        [CompletedSale(order_id=order_id, seller_id=seller_id, completed_at=completed_at)], ignore_conflicts=True)
    _refresh_stats(seller_id)


def _refresh_stats(seller_id) -> None:
    ratings = SellerRating.objects.filter(seller_id=seller_id, hidden=False).aggregate(count=Count("pk"),
                                                                                      total=Sum("rating"))
    Profile.objects.filter(pk=seller_id).update(
        rating_count=ratings["count"],
        rating_avg=rounded_average(ratings["total"] or 0, ratings["count"]),
        orders_completed=CompletedSale.objects.filter(seller_id=seller_id).count(),
    )
    trust_services.refresh_level(seller_id=seller_id)  # the rating is one of its thresholds


def _refresh_buyer_stats(buyer_id) -> None:
    ratings = BuyerRating.objects.filter(buyer_id=buyer_id, hidden=False).aggregate(count=Count("pk"),
                                                                                    total=Sum("rating"))
    Profile.objects.filter(pk=buyer_id).update(
        buyer_rating_count=ratings["count"], buyer_rating_avg=rounded_average(ratings["total"] or 0, ratings["count"]))
