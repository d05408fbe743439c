"""Every read of the auth service's users."""

from __future__ import annotations

from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.utils.encoding import force_str
from django.utils.http import urlsafe_base64_decode

from .emails import normalise_email
from .models import User


def email_taken(email: str) -> bool:
    return User.objects.filter(email=normalise_email(email)).exists()


def username_taken(username: str) -> bool:
    return User.objects.filter(username__iexact=username).exists()


def active_user_by_email(email: str) -> User | None:
    # Exact, on the form every stored email has (accounts.emails), never the database's own folding.
    return User.objects.filter(email=normalise_email(email), is_active=True).first()


def active_user_by_id(user_id) -> User | None:
    # get(), not first(): a primary key needs no ORDER BY, whose compiling first() pays on every call.
    try:
        return User.objects.get(pk=user_id, is_active=True)
    except (User.DoesNotExist, ValueError, ValidationError):
        return None


def user_for_reset_token(token: str, *, separator: str) -> User | None:
    """The user a reset token was made for, if the token is still good."""
    encoded_uid, _, secret = (token or "").partition(separator)
    if not encoded_uid or not secret:
        return None
    try:
        user_id = force_str(urlsafe_base64_decode(encoded_uid))
    except (ValueError, TypeError):
        return None
    user = active_user_by_id(user_id)
    if user is None or not default_token_generator.check_token(user, secret):
        return None
    return user
