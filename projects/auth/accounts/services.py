"""Every write of the auth service, and the events it owes the others.

Each function is keyword-only, runs in one transaction, and raises the
platform's domain errors (marketplace_libs.errors) rather than HTTP ones.
"""

from __future__ import annotations

import hashlib
import math
import secrets
import unicodedata
from datetime import datetime

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
from marketplace_libs.errors import Conflict, InvalidInput, NotAuthenticated, RateLimited
from marketplace_libs.tokens import VerifiedToken

from . import events, login_throttle, password_throttle, selectors
from .emails import normalise_email
from .models import EmailVerification, PasswordResetRequest, RevokedTokenFamily, User
from .tokens import FAMILY_CLAIM, PlatformRefreshToken, TokenPair, issue_token_pair

RESET_TOKEN_SEPARATOR = ":"

# A username is a public URL: the user service serves profiles at /api/users/<username> beside its
# own routes (me, healthz, readyz, schema), and names like these read as the platform speaking.
# Nobody may sign up as one, in any letter case, or user routes would be shadowed and staff
# impersonated. Add a name here before the user service (or the gateway) gains a route by it.
ROUTE_USERNAMES = frozenset({
    # routes of the user service and of every service
    "me", "healthz", "readyz", "schema", "docs", "search",
    # the platform's paths and the services' prefixes
    "admin", "api", "static", "media", "metrics", "ws",
    "auth", "users", "gigs", "orders", "reviews", "chat", "notifications", "payments",
})
# Names that would pass for the platform's own people: staff accounts may take them.
STAFF_USERNAMES = frozenset({
    "support", "staff", "root", "system", "administrator", "moderator", "help", "security",
})
RESERVED_USERNAMES = ROUTE_USERNAMES | STAFF_USERNAMES

log = structlog.get_logger("marketplace.auth")


def _validate_password(password: str, user: User, field: str) -> None:
    try:
        password_validation.validate_password(password, user)
    except DjangoValidationError as error:
        raise InvalidInput.on(field, *error.messages) from None


# --- registration and login -----------------------------------------------------------------

def _is_reserved_username(username: str, *, staff: bool) -> bool:
    # NFKC and casefold, so "ADMIN", a fullwidth "ａｄｍｉｎ" or a long-s "ſtaff" are caught too.
    folded = unicodedata.normalize("NFKC", username).casefold()
    return folded in (ROUTE_USERNAMES if staff else RESERVED_USERNAMES)


def registration_refusals(*, email: str, username: str, password: str, is_staff: bool = False
                          ) -> dict[str, list[str]]:
    """Why these credentials cannot make an account, by field; empty when they can. The admin's add
    form shows them beside its fields; ``register_user`` refuses with them."""
    email = normalise_email(email)
    refusals: dict[str, list[str]] = {}
    if selectors.email_taken(email):
        refusals["email"] = ["An account with this email already exists."]
    if _is_reserved_username(username, staff=is_staff):
        refusals["username"] = ["This username is reserved."]
    elif selectors.username_taken(username):
        refusals["username"] = ["This username is taken."]
    try:
        password_validation.validate_password(password, User(email=email, username=username))
    except DjangoValidationError as error:
        refusals["password"] = list(error.messages)
    return refusals


def register_user(*, email: str, username: str, password: str, is_staff: bool = False,
                  is_superuser: bool = False, email_verified: bool = False) -> User:
    """Every account comes into being here, whoever creates it (the API, the admin, createsuperuser,
    the demo seed), so every one is announced by ``user.registered``.

    A self-registered address is unconfirmed and gets a verification link; one that staff vouch for
    (the admin, createsuperuser, the demo seed) is ``email_verified`` from the start."""
    refusals = registration_refusals(email=email, username=username, password=password, is_staff=is_staff)
    if refusals:
        raise InvalidInput(errors=refusals)
    user = User(email=normalise_email(email), username=username, is_staff=is_staff, is_superuser=is_superuser)
    user.set_password(password)
    if email_verified:
        user.email_verified_at = user.date_joined
    try:
        with transaction.atomic():
            user.save()
            events.user_registered(user)
            if not email_verified:
                _send_verification_link(user)
    except IntegrityError:
        # Someone registered the same email or username between our check and our insert.
        raise InvalidInput(errors={"email": ["An account with this email or username already exists."]}) from None
    return user


def log_in(*, email: str, password: str, client_address: str) -> TokenPair:
    wait = login_throttle.seconds_until_allowed(email=email, address=client_address)
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
        login_throttle.record_failure(email=email, address=client_address)
        raise NotAuthenticated("The email or password is wrong.")
    login_throttle.record_success(email=email, address=client_address)
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(last_login=timezone.now())
        return issue_token_pair(user)


# --- email verification -------------------------------------------------------------------

class EmailAlreadyVerified(Conflict):
    code = "email_already_verified"
    default_detail = "This account's email address is verified already."


def _verification_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _send_verification_link(user: User) -> EmailVerification:
    """A new single-use link for the user's current address, emailed by the notification service
    (the event is the only place the token itself is written). Runs in the caller's transaction."""
    token = secrets.token_urlsafe(32)  # 256 random bits: not guessable, and stored only as its hash
    now = timezone.now()
    verification = EmailVerification.objects.create(
        user=user, email=user.email, token_hash=_verification_token_hash(token), sent_at=now,
        expires_at=now + settings.EMAIL_VERIFICATION_TIMEOUT)
    events.email_verification_requested(
        user, verify_url=f"{settings.MARKETPLACE_PUBLIC_URL}/verify-email?token={token}",
        expires_at=verification.expires_at)
    return verification


def verify_email(*, token: str) -> User:
    """Confirm the address a link was sent to. A forged, expired or used token, or one for an address
    the account no longer has, is refused alike (400), and changes nothing. Verifying spends every
    other link of the account too, so no older email can be replayed."""
    refused = InvalidInput.on("token", "This verification link is invalid, expired or already used.")
    token_hash = _verification_token_hash(token or "")
    user_id = EmailVerification.objects.filter(token_hash=token_hash).values_list("user_id", flat=True).first()
    if user_id is None:
        raise refused
    now = timezone.now()
    with transaction.atomic():
        # The account's row first, as resend takes it: every writer of an account's links holds it, so
        # two clicks (of one link or of two) are applied one after the other, without a deadlock.
        user = User.objects.select_for_update().get(pk=user_id)
        verification = EmailVerification.objects.get(token_hash=token_hash)
        if verification.used_at is not None or verification.expires_at <= now:
            raise refused
        if not user.is_active or verification.email != user.email:
            raise refused
        if user.email_verified_at is None:
            user.email_verified_at = now
            user.save(update_fields=["email_verified_at"])
        EmailVerification.objects.filter(user=user, used_at__isnull=True).update(used_at=now)
    log.info("email_verified", user_id=str(user.id))
    return user


def resend_email_verification(*, user_id) -> None:
    """Another link for a signed-in user whose address is unconfirmed: at most one email per
    ``EMAIL_VERIFICATION_RESEND_INTERVAL`` (counting the one sent at registration); sooner is 429 with
    Retry-After, so a client can show when to try again rather than believe a mail is on its way."""
    with transaction.atomic():
        # The account's row lock orders concurrent resends: the second sees the first one's link.
        user = User.objects.select_for_update().filter(pk=user_id, is_active=True).first()
        if user is None:
            raise NotAuthenticated("This account is no longer active.")
        if user.email_verified:
            raise EmailAlreadyVerified()
        last = user.email_verifications.order_by("-sent_at").values_list("sent_at", flat=True).first()
        if last is not None:
            wait = (last + settings.EMAIL_VERIFICATION_RESEND_INTERVAL - timezone.now()).total_seconds()
            if wait > 0:
                raise RateLimited(math.ceil(wait), "A verification email was sent less than a minute ago; "
                                                   "check your inbox, or ask again after Retry-After seconds.")
        _send_verification_link(user)


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
        revocation.revoke_family(family, lifetime_seconds=_access_lifetime_seconds())
        raise _invalid_refresh()
    return pair


def _access_lifetime_seconds() -> int:
    return int(settings.ACCESS_TOKEN_LIFETIME.total_seconds())


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
    if family:
        revocation.revoke_family(family, lifetime_seconds=_access_lifetime_seconds())


# --- passwords ----------------------------------------------------------------------------

def change_password(*, access: VerifiedToken, old_password: str, new_password: str) -> None:
    user = selectors.active_user_by_id(access.user_id)
    if user is None:
        raise NotAuthenticated("This account is no longer active.")
    wait = password_throttle.seconds_until_change_allowed(user_id=str(user.pk))
    if wait:
        raise RateLimited(wait, "Too many wrong current passwords; try again later.")
    if not user.check_password(old_password):
        password_throttle.record_change_failure(user_id=str(user.pk))
        raise InvalidInput.on("old_password", "The current password is wrong.")
    _validate_password(new_password, user, "new_password")
    password_throttle.record_change_success(user_id=str(user.pk))
    _set_password_and_end_sessions(user, new_password)
    revocation.revoke_token(access.jti, access.expires_at)


def _set_password_and_end_sessions(user: User, new_password: str | None) -> None:
    """Every token issued before now stops working, in this service and at every verifier.

    Refresh tokens are blacklisted one by one, exactly. Access tokens are cut off by their
    ``iat``, which JWT counts in whole seconds: one issued earlier in this same second
    survives until it expires (the caller's own token is revoked by jti on top of this).
    """
    now = timezone.now()
    with transaction.atomic():
        user.set_password(new_password)
        user.save(update_fields=["password"])
        live = OutstandingToken.objects.filter(user=user, expires_at__gt=now, blacklistedtoken__isnull=True)
        BlacklistedToken.objects.bulk_create([BlacklistedToken(token=token) for token in live],
                                             ignore_conflicts=True)
        _refuse_tokens_issued_before(user, now.replace(microsecond=0))


def request_password_reset(*, email: str) -> None:
    """Quietly does nothing for an unknown email, or one that had its share of reset emails lately,
    so the answer never tells who has an account."""
    if not password_throttle.reset_request_allowed(email=email):
        return
    user = selectors.active_user_by_email(email)
    if user is None:
        return
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = f"{uid}{RESET_TOKEN_SEPARATOR}{default_token_generator.make_token(user)}"
    now = timezone.now()
    expires_at = now + timezone.timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT)
    with transaction.atomic():
        PasswordResetRequest.objects.create(user=user, requested_at=now, expires_at=expires_at)
        events.password_reset_requested(
            user, reset_url=f"{settings.MARKETPLACE_PUBLIC_URL}/reset-password?token={token}", expires_at=expires_at)


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


def set_password_by_staff(*, user_id, new_password: str | None) -> None:
    """Staff set a password in the admin (None: no password login at all): like a reset, every session
    of the account ends."""
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user_id)
        _set_password_and_end_sessions(user, new_password)


def _refuse_tokens_issued_before(user: User, cutoff: datetime) -> None:
    """Every verifier (the gateway, every service, this one) refuses the user's tokens issued before
    ``cutoff``. The cut-off never moves back, so a later password change or deactivation stays in force.

    The shared revocation store is written before the transaction commits: should it be down, the
    change fails rather than leaving tokens alive (a rollback after it only refuses tokens early).
    Access tokens live their full lifetime, so the entry outlives the last one issued before the
    cut-off (+60 s for clock skew).
    """
    if user.tokens_valid_after is None or cutoff > user.tokens_valid_after:
        user.tokens_valid_after = cutoff
        user.save(update_fields=["tokens_valid_after"])
    revocation.revoke_tokens_of_user(
        str(user.id),
        issued_before=user.tokens_valid_after.timestamp(),
        lifetime_seconds=int(settings.ACCESS_TOKEN_LIFETIME.total_seconds()) + 60,
    )


# --- account state ----------------------------------------------------------------------------
# The one write path of an account's active flag and roles, whoever asks (the admin, a command, an
# event): each change is announced and, where it takes rights away, cuts the user's tokens off.

def deactivate_account(*, user_id, reason: str) -> bool:
    """Close the account: no login, no refresh, every token issued so far refused at once by every
    verifier, and ``user.deactivated`` for the other services. False when it was closed already.

    The cut-off keeps its microseconds, so a token issued earlier in the same second (JWT ``iat`` is
    whole seconds) is refused as well.
    """
    reason = reason.strip()[:500]
    if not reason:
        raise InvalidInput.on("reason", "Say why the account is deactivated.")
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user_id)
        if not user.is_active:
            return False
        user.is_active, user.active_changed_at = False, timezone.now()
        user.save(update_fields=["is_active", "active_changed_at"])
        _refuse_tokens_issued_before(user, user.active_changed_at)
        events.user_deactivated(user, reason=reason)
    log.info("account_deactivated", user_id=str(user.id))
    return True


def reactivate_account(*, user_id) -> bool:
    """Open a closed account again: the user may log in; tokens issued before the deactivation stay
    refused. False when it was open already."""
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user_id)
        if user.is_active:
            return False
        user.is_active, user.active_changed_at = True, timezone.now()
        user.save(update_fields=["is_active", "active_changed_at"])
        events.user_reactivated(user)
    log.info("account_reactivated", user_id=str(user.id))
    return True


def change_staff_rights(*, user_id, is_staff: bool, is_superuser: bool) -> None:
    """Staff rights given or taken in the admin. Taking them away ends the user's sessions at once: the
    staff token that signs them in to every service's admin (and any access token) is refused
    everywhere, instead of living out its lifetime."""
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user_id)
        losing = (user.is_staff and not is_staff) or (user.is_superuser and not is_superuser)
        user.is_staff, user.is_superuser = is_staff, is_superuser
        user.save(update_fields=["is_staff", "is_superuser"])
        if losing:
            _refuse_tokens_issued_before(user, timezone.now())
            log.info("staff_rights_removed", user_id=str(user.id))


def grant_seller_role(*, user_id: str) -> User | None:
    """``user.seller_activated``: the user opened a seller profile in the user service; their next
    refresh carries ``seller``. Idempotent. Called inside the consumer's transaction, beside the
    inbox row.

    An id this service does not know is logged and ignored: every user the user service knows came
    from our own user.registered, so waiting cannot make it known and retrying would only end in the
    dead-letter queue. It points at mismatched databases (one of the two restored or reset).
    """
    with transaction.atomic():
        try:
            user = User.objects.select_for_update().filter(pk=user_id).first()
        except (ValueError, DjangoValidationError):  # not a UUID at all
            user = None
        if user is None:
            log.warning("user_event_for_unknown_user_ignored", user_id=str(user_id))
            return None
        if not user.is_seller:
            user.is_seller = True
            user.save(update_fields=["is_seller"])
    return user
