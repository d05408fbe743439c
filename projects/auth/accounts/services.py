"""Every write of the auth service, and the events it owes the others.

Each function is keyword-only, runs in one transaction, and raises the
platform's domain errors (marketplace_libs.errors) rather than HTTP ones.
"""

from __future__ import annotations

import unicodedata
from datetime import datetime, timezone as dt_timezone

import structlog
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

# A username is a public URL: the user service serves profiles at /api/users/<username> beside its
# own routes (me, healthz, readyz, schema), and names like these read as the platform speaking.
# Nobody may sign up as one, in any letter case, or user routes would be shadowed and staff
# impersonated. Add a name here before the user service (or the gateway) gains a route by it.
RESERVED_USERNAMES = frozenset({
    # routes of the user service and of every service
    "me", "healthz", "readyz", "schema", "docs", "search",
    # the platform's paths and the services' prefixes
    "admin", "api", "static", "media", "metrics", "ws",
    "auth", "users", "gigs", "orders", "reviews", "chat", "notifications",
    # names that would pass for the platform's own people
    "support", "staff", "root", "system", "administrator", "moderator", "help", "security",
})

log = structlog.get_logger("marketplace.auth")


def _iso(moment: datetime) -> str:
    return moment.astimezone(dt_timezone.utc).isoformat().replace("+00:00", "Z")


def _validate_password(password: str, user: User, field: str) -> None:
    try:
        password_validation.validate_password(password, user)
    except DjangoValidationError as error:
        raise InvalidInput.on(field, *error.messages) from None


# --- registration and login -----------------------------------------------------------------

def _is_reserved_username(username: str) -> bool:
    # NFKC and casefold, so "ADMIN", a fullwidth "ａｄｍｉｎ" or a long-s "ſtaff" are caught too.
    return unicodedata.normalize("NFKC", username).casefold() in RESERVED_USERNAMES


def register_user(*, email: str, username: str, password: str) -> User:
    email = User.objects.normalize_email(email).strip().lower()
    errors: dict[str, list[str]] = {}
    if selectors.email_taken(email):
        errors["email"] = ["An account with this email already exists."]
    if _is_reserved_username(username):
        errors["username"] = ["This username is reserved."]
    elif selectors.username_taken(username):
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



# --- what the user service tells us -------------------------------------------------------------
# Called by accounts/handlers.py inside the consumer's transaction, beside the inbox row: plain
# database writes (plus the idempotent revocation below), never a commit of their own.

def _user_named_by_the_user_service(user_id: str) -> User | None:
    """The user, locked; None (with a warning) for an id this service does not know.

    Every user the user service knows came from our own user.registered, so an unknown id cannot
    become known by waiting: retrying would only end in the dead-letter queue. It points at
    mismatched databases (one of the two restored or reset), which is worth a warning, not a failure.
    """
    try:
        user = User.objects.select_for_update().filter(pk=user_id).first()
    except (ValueError, DjangoValidationError):  # not a UUID at all
        user = None
    if user is None:
        log.warning("user_event_for_unknown_user_ignored", user_id=str(user_id))
    return user


def grant_seller_role(*, user_id: str) -> User | None:
    """The user opened a seller profile; their next refresh carries ``seller``. Idempotent."""
    with transaction.atomic():
        user = _user_named_by_the_user_service(user_id)
        if user is not None and not user.is_seller:
            user.is_seller = True
            user.save(update_fields=["is_seller"])
    return user


def deactivate_user(*, user_id: str, at: datetime) -> User | None:
    """Staff deactivated the account at ``at``: no login, no refresh, and every token issued so far
    is refused by every verifier at once.

    The cut-off is the later of ``at`` and now: tokens issued between the deactivation and this
    event's arrival are refused too. It keeps its microseconds, so a token issued earlier in the
    same second (JWT ``iat`` is whole seconds) is refused as well.
    """
    with transaction.atomic():
        user = _user_named_by_the_user_service(user_id)
        if user is None:
            return None
        stale = user.active_changed_at is not None and at <= user.active_changed_at
        if stale:
            # A newer reactivation (or deactivation) is already applied; this one still refuses the
            # tokens issued before it, but neither closes the account again nor ends newer sessions.
            cutoff = at
        else:
            cutoff = max(at, timezone.now())
            user.is_active = False
            user.active_changed_at = at
        if user.tokens_valid_after is None or cutoff > user.tokens_valid_after:
            user.tokens_valid_after = cutoff  # never moved back: a later password change stays in force
        user.save(update_fields=["is_active", "active_changed_at", "tokens_valid_after"])
        # Outside the database, so not undone by a rollback; harmless, as the event is then retried
        # and setting the same cut-off again changes nothing. Access tokens live their full lifetime,
        # so the entry must outlive the last one issued before the cut-off (+60 s for clock skew).
        revocation.revoke_tokens_of_user(
            str(user.id),
            issued_before=user.tokens_valid_after.timestamp(),
            lifetime_seconds=int(settings.ACCESS_TOKEN_LIFETIME.total_seconds()) + 60,
        )
    return user


def reactivate_user(*, user_id: str, at: datetime) -> User | None:
    """Staff reactivated the account at ``at``: the user may log in again. Tokens issued before the
    deactivation stay refused, as ``tokens_valid_after`` is left where the deactivation put it."""
    with transaction.atomic():
        user = _user_named_by_the_user_service(user_id)
        if user is None:
            return None
        if user.active_changed_at is not None and at <= user.active_changed_at:
            log.info("stale_reactivation_ignored", user_id=str(user.id), reactivated_at=_iso(at),
                     active_changed_at=_iso(user.active_changed_at))
            return user
        user.is_active = True
        user.active_changed_at = at
        user.save(update_fields=["is_active", "active_changed_at"])
    return user
