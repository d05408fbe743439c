"""The events the auth service publishes: one function per type, its payload's shape in one place.

Each runs inside the transaction of the change it reports.
"""

from __future__ import annotations

from datetime import datetime

from marketplace_libs.events.publishing import publish
from marketplace_libs.times import iso_utc

from .models import User


def user_registered(user: User) -> None:
    publish("user.registered", {
        "user_id": str(user.id), "email": user.email, "username": user.username,
        "date_joined": iso_utc(user.date_joined),
    }, aggregate_id=str(user.id))


def password_reset_requested(user: User, *, reset_url: str, expires_at: datetime) -> None:
    publish("auth.password_reset_requested", {
        "user_id": str(user.id), "email": user.email, "username": user.username,
        "reset_url": reset_url, "expires_at": iso_utc(expires_at),
    }, aggregate_id=str(user.id))


def email_verification_requested(user: User, *, verify_url: str, expires_at: datetime) -> None:
    publish("auth.email_verification_requested", {
        "user_id": str(user.id), "email": user.email, "username": user.username,
        "verify_url": verify_url, "expires_at": iso_utc(expires_at),
    }, aggregate_id=str(user.id))


def user_deactivated(user: User, *, reason: str) -> None:
    publish("user.deactivated", {
        "user_id": str(user.id), "deactivated_at": iso_utc(user.active_changed_at), "reason": reason,
    }, aggregate_id=str(user.id))


def user_reactivated(user: User) -> None:
    publish("user.reactivated", {"user_id": str(user.id), "reactivated_at": iso_utc(user.active_changed_at)},
            aggregate_id=str(user.id))
