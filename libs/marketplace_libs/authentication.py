"""DRF authentication and permissions from the platform's access tokens.

Every service verifies the token itself (defence in depth behind the gateway)
and authorises by the token's claims; no service keeps a copy of the users.
"""

from __future__ import annotations

from django.conf import settings
from rest_framework import authentication, exceptions, permissions

from .errors import Forbidden
from .request_context import user_id_var
from .tokens import TokenRejected, VerifiedToken, get_verifier


class TokenUser:
    """The caller, as the access token describes them."""

    is_authenticated = True
    is_anonymous = False
    is_active = True

    def __init__(self, token: VerifiedToken):
        self.token = token
        self.id = token.user_id
        self.pk = token.user_id
        self.username = token.username
        self.roles = token.roles
        self.email_verified = token.email_verified

    @property
    def is_staff(self) -> bool:
        return "staff" in self.roles

    def has_role(self, role: str) -> bool:
        return role in self.roles

    def __str__(self) -> str:
        return self.username or self.id


def bearer_token(authorization_header: str | None) -> str | None:
    """The token of ``Authorization: Bearer <token>``; raises TokenRejected for another scheme."""
    if not authorization_header:
        return None
    scheme, _, token = authorization_header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise TokenRejected("token_invalid", "Use 'Authorization: Bearer <access token>'.")
    return token.strip()


class AccessTokenAuthentication(authentication.BaseAuthentication):
    www_authenticate_realm = "marketplace"

    def authenticate(self, request):
        try:
            raw = bearer_token(request.META.get("HTTP_AUTHORIZATION"))
            if raw is None:
                return None
            token = get_verifier().verify(raw)
        except TokenRejected as rejection:
            raise exceptions.AuthenticationFailed(rejection.detail, code=rejection.code) from None
        user_id_var.set(token.user_id)
        return TokenUser(token), token

    def authenticate_header(self, request):
        return f'Bearer realm="{self.www_authenticate_realm}"'


class HasRole(permissions.BasePermission):
    """``permission_classes = [HasRole.named("seller")]``."""

    role = ""

    code = "role_missing"

    @classmethod
    def named(cls, role: str):
        # A token carries the roles of the moment it was issued: the usual reason for this refusal right after
        # becoming a seller is a token older than the role, which a refresh replaces.
        message = (f"This needs the '{role}' role, which this access token does not carry. A role granted since "
                   "the token was issued (becoming a seller reaches the auth service within a few seconds) comes "
                   "with a new token: POST /api/auth/refresh, then retry.")
        return type(f"Has{role.title()}Role", (cls,), {"role": role, "message": message})

    def has_permission(self, request, view):
        user = request.user
        return bool(user and user.is_authenticated and getattr(user, "has_role", lambda _r: False)(self.role))


class EmailUnverified(Forbidden):
    code = "email_unverified"
    default_detail = ("Confirm your email address first: follow the link in the email we sent you (POST "
                      "/api/auth/email/resend sends another), then get a new access token (POST /api/auth/refresh), "
                      "which carries email_verified.")


def require_verified_email(user) -> None:
    """Refuse (403 ``email_unverified``) a caller whose access token does not say ``email_verified: true``.

    Called by the actions that reach another person or move money (placing an order, checking out,
    publishing a gig, sending a chat message); browsing, the profile and becoming a seller stay open.
    ``MARKETPLACE_REQUIRE_VERIFIED_EMAIL=false`` lifts it (a private deployment without email).
    The token's claim is the truth here, not a lookup: like the roles, a verification reaches the
    caller's next token (a refresh), and no service asks the auth service per request.
    """
    if not getattr(settings, "MARKETPLACE_REQUIRE_VERIFIED_EMAIL", True):
        return
    if getattr(user, "email_verified", False) is True:
        return
    raise EmailUnverified()
