"""Reads of the user service."""

from __future__ import annotations

from django.db.models import OuterRef, QuerySet, Subquery

from .models import Presence, Profile, SellerTally


def _profiles() -> QuerySet[Profile]:
    """Profiles with their trust signals (``SellerTally`` and ``Presence`` are keyed by the user id but have no
    foreign key: their events may come before the profile exists)."""
    tally = SellerTally.objects.filter(seller_id=OuterRef("pk"))
    presence = Presence.objects.filter(user_id=OuterRef("pk"))
    return Profile.objects.select_related("seller", "preferences").annotate(
        timed_orders=Subquery(tally.values("timed_orders")),
        on_time_orders=Subquery(tally.values("on_time_orders")),
        response_time_hours=Subquery(tally.values("response_time_hours")),
        presence_online=Subquery(presence.values("online")), presence_changed_at=Subquery(presence.values("changed_at")))


def profile_by_id(user_id) -> Profile | None:
    return _profiles().filter(user_id=user_id).first()


def public_profile(username: str) -> Profile | None:
    """The active profile of ``username``, whatever its case; a deactivated one is not found."""
    return _profiles().filter(username__iexact=username, is_active=True).first()
