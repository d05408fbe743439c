"""Verification of the auth service's RS256 access tokens, without a call per request.

The public keys come from the auth service's JWKS and are kept in the process;
a token signed with a key id (``kid``) not yet known triggers one refetch, at
most every ``MIN_REFETCH_SECONDS``, which is how a key rotation reaches every
verifier. Only RS256 is accepted: ``alg: none`` and HMAC tokens are refused
before any key is looked at.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Callable

import httpx
import jwt
import structlog
from django.conf import settings
from django.utils.module_loading import import_string

from . import revocation
from .lazy import ProcessWide

ALGORITHM = "RS256"
ACCESS_TOKEN_TYPE = "access"
LEEWAY_SECONDS = 5

log = structlog.get_logger(__name__)


class TokenRejected(Exception):
    """The token cannot be used; ``code`` says why (missing, invalid, expired, revoked)."""

    def __init__(self, code: str, detail: str):
        super().__init__(detail)
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class VerifiedToken:
    user_id: str
    username: str
    roles: tuple[str, ...]
    jti: str
    issued_at: float
    expires_at: float
    claims: dict = field(repr=False)

    @property
    def family(self) -> str | None:
        """The login session the token descends from (``fam``), revoked as a whole on refresh reuse."""
        family = self.claims.get("fam")
        return str(family) if family else None

    def has_role(self, role: str) -> bool:
        return role in self.roles

    @property
    def email_verified(self) -> bool:
        """The account's address was confirmed when the token was issued; a token without the claim
        (issued before verification existed) counts as unverified, and a refresh brings it."""
        return self.claims.get("email_verified") is True


class JWKSKeySource:
    """Public keys by ``kid``, fetched from a JWKS document and cached in the process."""

    REFRESH_SECONDS = 600
    MIN_REFETCH_SECONDS = 10

    def __init__(self, fetch_jwks: Callable[[], dict]):
        self._fetch_jwks = fetch_jwks
        self._keys: dict[str, object] = {}
        self._fetched_at = float("-inf")
        self._attempted_at = float("-inf")
        self._lock = threading.Lock()

    @classmethod
    def from_url(cls, url: str) -> "JWKSKeySource":
        def fetch() -> dict:
            response = httpx.get(url, timeout=3.0)
            response.raise_for_status()
            return response.json()

        return cls(fetch)

    def key_for(self, kid: str):
        key = self._keys.get(kid)
        stale = time.monotonic() - self._fetched_at > self.REFRESH_SECONDS
        if key is None or stale:
            self._refresh(force=key is None)
            key = self._keys.get(kid)
        return key

    def _refresh(self, *, force: bool) -> None:
        with self._lock:
            now = time.monotonic()
            if now - self._attempted_at < self.MIN_REFETCH_SECONDS:
                return  # an unknown kid must not turn every request into a fetch
            if not force and now - self._fetched_at < self.REFRESH_SECONDS:
                return  # another thread refreshed while this one waited
            self._attempted_at = now
            try:
                document = self._fetch_jwks()
            except (httpx.HTTPError, ValueError) as error:
                # Keep the keys we have; the next try comes after MIN_REFETCH_SECONDS.
                log.warning("jwks_fetch_failed", error=str(error))
                return
            self._keys = keys_from_jwks(document)
            self._fetched_at = now


def keys_from_jwks(document: dict) -> dict[str, object]:
    keys = {}
    for jwk in document.get("keys", []):
        if jwk.get("kty") == "RSA" and jwk.get("kid"):
            keys[jwk["kid"]] = jwt.PyJWK(jwk, algorithm=ALGORITHM).key
    return keys


class TokenVerifier:
    def __init__(self, key_source: JWKSKeySource, *, check_revocation: bool = True):
        self.key_source = key_source
        self.check_revocation = check_revocation

    def verify(self, raw_token: str | None, *, token_type: str = ACCESS_TOKEN_TYPE) -> VerifiedToken:
        if not raw_token:
            raise TokenRejected("token_missing", "Authentication credentials were not provided.")
        try:
            header = jwt.get_unverified_header(raw_token)
        except jwt.InvalidTokenError:
            raise TokenRejected("token_invalid", "The token is malformed.") from None
        if header.get("alg") != ALGORITHM:
            raise TokenRejected("token_invalid", "The token is not signed with an accepted algorithm.")
        key = self.key_source.key_for(str(header.get("kid", "")))
        if key is None:
            raise TokenRejected("token_invalid", "The token is signed with an unknown key.")
        try:
            claims = jwt.decode(
                raw_token,
                key,
                algorithms=[ALGORITHM],
                leeway=LEEWAY_SECONDS,
                options={"require": ["exp", "iat", "sub", "jti"]},
            )
        except jwt.ExpiredSignatureError:
            raise TokenRejected("token_expired", "The token has expired.") from None
        except jwt.InvalidTokenError:
            raise TokenRejected("token_invalid", "The token is invalid.") from None
        if claims.get("token_type") != token_type:
            raise TokenRejected("token_invalid", f"This is not an {token_type} token.")
        token = VerifiedToken(
            user_id=str(claims["sub"]),
            username=str(claims.get("username", "")),
            roles=tuple(claims.get("roles") or ()),
            jti=str(claims["jti"]),
            issued_at=float(claims["iat"]),
            expires_at=float(claims["exp"]),
            claims=claims,
        )
        if self.check_revocation and revocation.is_revoked(
            jti=token.jti, user_id=token.user_id, issued_at=token.issued_at, family=token.family
        ):
            raise TokenRejected("token_revoked", "The token has been revoked.")
        return token


_verifier: ProcessWide[TokenVerifier] = ProcessWide(
    lambda: TokenVerifier(import_string(settings.MARKETPLACE_TOKEN_KEY_SOURCE)())
)


def get_verifier() -> TokenVerifier:
    """The process's verifier, built from ``settings.MARKETPLACE_TOKEN_KEY_SOURCE``."""
    return _verifier.get()


def reset_verifier() -> None:
    """Forget the cached verifier (tests that swap keys)."""
    _verifier.reset()


def key_source_from_settings() -> JWKSKeySource:
    return JWKSKeySource.from_url(settings.MARKETPLACE_JWKS_URL)
