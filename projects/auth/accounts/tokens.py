"""Issuing tokens: SimpleJWT's token classes, signed with the key ring's current key and its kid."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import jwt
from django.conf import settings
from rest_framework_simplejwt.backends import TokenBackend
from rest_framework_simplejwt.exceptions import TokenBackendError
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken, Token

from marketplace_libs.tokens import ALGORITHM, LEEWAY_SECONDS

from .keys import load_key_ring

FAMILY_CLAIM = "fam"


class KeyedTokenBackend(TokenBackend):
    """Signs with the current key and names it in the ``kid`` header; verifies with any key of the ring."""

    def __init__(self):
        super().__init__(ALGORITHM, leeway=LEEWAY_SECONDS)

    def encode(self, payload: dict) -> str:
        key = load_key_ring().current
        return jwt.encode(payload, key.private_key, algorithm=ALGORITHM, headers={"kid": key.kid})

    def get_verifying_key(self, token):
        key = load_key_ring().by_kid(str(jwt.get_unverified_header(token).get("kid", "")))
        if key is None:
            raise TokenBackendError("Token is signed with an unknown key")
        return key.public_key


_backend = KeyedTokenBackend()


class PlatformAccessToken(AccessToken):
    def get_token_backend(self):
        return _backend


class PlatformRefreshToken(RefreshToken):
    """Its access tokens carry its family (``fam``) too: reuse of a spent refresh token revokes the
    family, and verifiers then refuse the access tokens already issued from it."""

    access_token_class = PlatformAccessToken

    def get_token_backend(self):
        return _backend

    def verify(self) -> None:
        # Signature, expiry and type only: the blacklist is checked by rotate_refresh_token
        # under a row lock, where a blacklisted token means reuse and ends the session.
        Token.verify(self)


@dataclass(frozen=True)
class TokenPair:
    access: str
    refresh: str
    expires_in: int

    def as_response(self) -> dict:
        return {"access": self.access, "refresh": self.refresh, "token_type": "Bearer", "expires_in": self.expires_in}


def issue_token_pair(user, *, family: str | None = None) -> TokenPair:
    """A refresh token (recorded as outstanding) and an access token carrying the user's current roles."""
    refresh = PlatformRefreshToken.for_user(user)
    refresh[FAMILY_CLAIM] = family or str(uuid.uuid4())
    refresh["username"] = user.username
    refresh["roles"] = user.roles
    # Read fresh at every login and refresh, like the roles: verifying the address reaches the next token.
    refresh["email_verified"] = user.email_verified
    return TokenPair(
        access=str(refresh.access_token),
        refresh=str(refresh),
        expires_in=int(settings.ACCESS_TOKEN_LIFETIME.total_seconds()),
    )


def issue_admin_token(user) -> str:
    """A short-lived staff access token for the admin single sign-on cookie."""
    token = PlatformAccessToken.for_user(user)
    token["username"] = user.username
    token["roles"] = user.roles
    token["email_verified"] = user.email_verified
    token["is_superuser"] = user.is_superuser
    return str(token)
