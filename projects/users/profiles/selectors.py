"""Reads of the user service."""

from __future__ import annotations

from django.db.models import QuerySet

from .models import Profile


def _profiles() -> QuerySet[Profile]:
    return Profile.objects.select_related("seller", "preferences")


def profile_by_id(user_id) -> Profile | None:
    return _profiles().filter(user_id=user_id).first()


def public_profile(username: str) -> Profile | None:
    """The active profile of ``username``, whatever its case; a deactivated one is not found."""
    return _profiles().filter(username__iexact=username, is_active=True).first()
