"""Every write of the auth service, and the events it owes the others.

Each function is keyword-only, runs in one transaction, and raises the
platform's domain errors (marketplace_libs.errors) rather than HTTP ones.
"""

from __future__ import annotations

from datetime import datetime, timezone as dt_timezone

from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from marketplace_libs import revocation
from marketplace_libs.errors import InvalidInput, NotAuthenticated, RateLimited
from marketplace_libs.events.publishing import publish
from marketplace_libs.tokens import VerifiedToken

from . import login_throttle, selectors
from .models import PasswordResetRequest, RevokedTokenFamily, User
from .tokens import FAMILY_CLAIM, PlatformRefreshToken, TokenPair, issue_token_pair

RESET_TOKEN_SEPARATOR = ":"


def _iso(moment: datetime) -> str:
    return moment.astimezone(dt_timezone.utc).isoformat().replace("+00:00", "Z")


def _validate_password(password: str, user: User, field: str) -> None:
    try:
        password_validation.validate_password(password, user)
    except DjangoValidationError as error:
        raise InvalidInput.on(field, *error.messages) from None


# --- registration and login -----------------------------------------------------------------

def register_user(*, email: str, username: str, password: str) -> User:
    email = User.objects.normalize_email(email).strip().lower()
    errors: dict[str, list[str]] = {}
    if selectors.email_taken(email):
        errors["email"] = ["An account with this email already exists."]
    if selectors.username_taken(username):
        errors["username"] = ["This username is taken."]
    user = User(email=email, username=username)
    try:
        password_validation.validate_password(password, user)
    except DjangoValidationError as error:
        errors["password"] = list(error.messages)
    if errors:
        raise InvalidInput(errors=errors)
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
            publish("user.registered", {
                "user_id": str(user.id), "email": user.email, "username": user.username,
                "date_joined": _iso(user.date_joined),
            }, aggregate_id=str(user.id))
    except IntegrityError:
        # Someone registered the same email or username between our check and our insert.
        raise InvalidInput(errors={"email": ["An account with this email or username already exists."]}) from None
    return user


def log_in(*, email: str, password: str, client_address: str) -> TokenPair:
    wait = login_throttle.seconds_until_allowed(email, client_address)
    if wait:
        raise RateLimited(wait, "Too many failed logins; try again later.")
    user = selectors.active_user_by_email(email)
    # Checking a dummy hash for unknown emails keeps the timing the same as a wrong password.
    if user is None:
        User().set_password(password)
        valid = False
    else:
        valid = user.check_password(password)
    if not valid:
        login_throttle.record_failure(email, client_address)
        raise NotAuthenticated("The email or password is wrong.")
    login_throttle.record_success(email, client_address)
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(last_login=timezone.now())
        return issue_token_pair(user)


# --- refresh tokens -----------------------------------------------------------------------

def _invalid_refresh() -> NotAuthenticated:
    return NotAuthenticated("The refresh token is invalid, expired or already used.")


def _decode_refresh(raw_refresh: str) -> PlatformRefreshToken:
    try:
        return PlatformRefreshToken(raw_refresh)
    except TokenError:
        raise _invalid_refresh() from None


def rotate_refresh_token(*, raw_refresh: str) -> TokenPair:
    token = _decode_refresh(raw_refresh)
    jti, family, user_id = token.get("jti"), token.get(FAMILY_CLAIM), token.get("sub")
    with transaction.atomic():
        outstanding = OutstandingToken.objects.select_for_update().filter(jti=jti).first()
        if outstanding is None or family is None:
            raise _invalid_refresh()
        if RevokedTokenFamily.objects.filter(family=family).exists():
            raise _invalid_refresh()
        user = selectors.active_user_by_id(user_id)
        if user is None or _issued_before_cutoff(user, token.get("iat")):
            raise _invalid_refresh()
        reused = BlacklistedToken.objects.filter(token=outstanding).exists()
        if reused:
            # A spent token came back: someone holds a copy. End the whole session (token family).
            RevokedTokenFamily.objects.get_or_create(family=family, defaults={"user": user, "reason": "reuse"})
        else:
            BlacklistedToken.objects.create(token=outstanding)
            pair = issue_token_pair(user, family=family)
    if reused:
        raise _invalid_refresh()
    return pair


def _issued_before_cutoff(user: User, issued_at) -> bool:
    if user.tokens_valid_after is None or issued_at is None:
        return False
    return float(issued_at) < user.tokens_valid_after.timestamp()


def log_out(*, access: VerifiedToken, raw_refresh: str) -> None:
    try:
        token = PlatformRefreshToken(raw_refresh)
    except TokenError:
        raise InvalidInput.on("refresh", "This refresh token is invalid or expired.") from None
    if str(token.get("sub")) != access.user_id:
        raise InvalidInput.on("refresh", "This refresh token is not yours.")
    with transaction.atomic():
        outstanding = OutstandingToken.objects.filter(jti=token.get("jti")).first()
        if outstanding is not None:
            BlacklistedToken.objects.get_or_create(token=outstanding)
        family = token.get(FAMILY_CLAIM)
        if family:
            RevokedTokenFamily.objects.get_or_create(
                family=family, defaults={"user_id": access.user_id, "reason": "logout"}
            )
    revocation.revoke_token(access.jti, access.expires_at)


# --- passwords ----------------------------------------------------------------------------

def change_password(*, access: VerifiedToken, old_password: str, new_password: str) -> None:
    user = selectors.active_user_by_id(access.user_id)
    if user is None:
        raise NotAuthenticated("This account is no longer active.")
    if not user.check_password(old_password):
        raise InvalidInput.on("old_password", "The current password is wrong.")
    _validate_password(new_password, user, "new_password")
    _set_password_and_end_sessions(user, new_password)
    revocation.revoke_token(access.jti, access.expires_at)


def _set_password_and_end_sessions(user: User, new_password: str) -> None:
    """Every token issued before now stops working, in this service and at every verifier.

    Refresh tokens are blacklisted one by one, exactly. Access tokens are cut off by their
    ``iat``, which JWT counts in whole seconds: one issued earlier in this same second
    survives until it expires (the caller's own token is revoked by jti on top of this).
    """
    now = timezone.now()
    cutoff = now.replace(microsecond=0)
    with transaction.atomic():
        user.set_password(new_password)
        user.tokens_valid_after = cutoff
        user.save(update_fields=["password", "tokens_valid_after"])
        live = OutstandingToken.objects.filter(user=user, expires_at__gt=now, blacklistedtoken__isnull=True)
        BlacklistedToken.objects.bulk_create([BlacklistedToken(token=token) for token in live],
                                             ignore_conflicts=True)
    revocation.revoke_tokens_of_user(
        str(user.id),
        issued_before=cutoff.timestamp(),
        lifetime_seconds=int(settings.ACCESS_TOKEN_LIFETIME.total_seconds()) + 60,
    )


def request_password_reset(*, email: str) -> None:
    """Quietly does nothing for an unknown email, so the answer never tells who has an account."""
    user = selectors.active_user_by_email(email)
    if user is None:
        return
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = f"{uid}{RESET_TOKEN_SEPARATOR}{default_token_generator.make_token(user)}"
    now = timezone.now()
    expires_at = now + timezone.timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT)
    with transaction.atomic():
        PasswordResetRequest.objects.create(user=user, requested_at=now, expires_at=expires_at)
        publish("auth.password_reset_requested", {
            "user_id": str(user.id), "email": user.email, "username": user.username,
            "reset_url": f"{settings.MARKETPLACE_PUBLIC_URL}/reset-password?token={token}",
            "expires_at": _iso(expires_at),
        }, aggregate_id=str(user.id))


def confirm_password_reset(*, token: str, new_password: str) -> None:
    user = selectors.user_for_reset_token(token, separator=RESET_TOKEN_SEPARATOR)
    if user is None:
        raise InvalidInput.on("token", "This reset link is invalid, expired or already used.")
    _validate_password(new_password, user, "new_password")
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        # Checked again under the lock: two confirmations racing cannot both succeed.
        if not default_token_generator.check_token(locked, token.split(RESET_TOKEN_SEPARATOR, 1)[1]):
            raise InvalidInput.on("token", "This reset link is invalid, expired or already used.")
        _set_password_and_end_sessions(locked, new_password)
        PasswordResetRequest.objects.filter(user=locked, used_at__isnull=True).update(used_at=timezone.now())

