"""Revoked tokens, shared by the auth service, every other service and the gateway.

Kept in the ``shared`` cache (Redis when configured, a file cache under var/
otherwise) so that a revocation is seen by every process at once. An entry
lives as long as a verifier could still accept the token it revokes: its
expiry plus the verifiers' leeway for clock skew (tokens.LEEWAY_SECONDS).
"""

from __future__ import annotations

import time

from django.core.cache import caches

SHARED_CACHE = "shared"


def _cache():
    return caches[SHARED_CACHE]


def _jti_key(jti: str) -> str:
    return f"revoked:jti:{jti}"


def _user_key(user_id: str) -> str:
    return f"revoked:user:{user_id}"


def _family_key(family: str) -> str:
    return f"revoked:family:{family}"


def _beyond_leeway(seconds: float) -> int:
    """An entry's lifetime: the token's remaining life plus the leeway every verifier grants, plus 1."""
    from .tokens import LEEWAY_SECONDS

    return int(seconds) + LEEWAY_SECONDS + 1


def revoke_token(jti: str, expires_at: float) -> None:
    remaining = _beyond_leeway(expires_at - time.time())
    if remaining > 0:
        _cache().set(_jti_key(jti), 1, timeout=remaining)


def revoke_tokens_of_user(user_id: str, *, issued_before: float, lifetime_seconds: int) -> None:
    """Every token of this user issued before ``issued_before`` is refused from now on."""
    _cache().set(_user_key(user_id), issued_before, timeout=_beyond_leeway(lifetime_seconds))


def revoke_family(family: str, *, lifetime_seconds: int) -> None:
    """Every access token of one login session (its ``fam`` claim) is refused from now on."""
    _cache().set(_family_key(family), 1, timeout=_beyond_leeway(lifetime_seconds))


def is_revoked(*, jti: str, user_id: str, issued_at: float, family: str | None = None) -> bool:
    values = _cache().get_many(_keys(jti, user_id, family))
    return _revoked_by(values, jti=jti, user_id=user_id, issued_at=issued_at, family=family)


def revoked_among(tokens) -> set[str]:
    """The jti of each of ``tokens`` (verified tokens: jti, user_id, issued_at, family) that is
    revoked, from one read of the store for all of them."""
    keys = {key for token in tokens for key in _keys(token.jti, token.user_id, token.family)}
    values = _cache().get_many(list(keys)) if keys else {}
    return {token.jti for token in tokens if _revoked_by(
        values, jti=token.jti, user_id=token.user_id, issued_at=token.issued_at, family=token.family)}


def _keys(jti: str, user_id: str, family: str | None) -> list[str]:
    return [_jti_key(jti), _user_key(user_id), *([_family_key(family)] if family else [])]


def _revoked_by(values: dict, *, jti: str, user_id: str, issued_at: float, family: str | None) -> bool:
    if values.get(_jti_key(jti)) or (family and values.get(_family_key(family))):
        return True
    revoked_before = values.get(_user_key(user_id))
    return revoked_before is not None and issued_at < revoked_before
