"""Revoked tokens, shared by the auth service, every other service and the gateway.

Kept in the ``shared`` cache (Redis when configured, a file cache under var/
otherwise) so that a revocation is seen by every process at once. An entry
lives only as long as the token it revokes could.
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


def revoke_token(jti: str, expires_at: float) -> None:
    remaining = int(expires_at - time.time()) + 1
    if remaining > 0:
        _cache().set(_jti_key(jti), 1, timeout=remaining)


def revoke_tokens_of_user(user_id: str, *, issued_before: float, lifetime_seconds: int) -> None:
    """Every token of this user issued before ``issued_before`` is refused from now on."""
    _cache().set(_user_key(user_id), issued_before, timeout=lifetime_seconds)


def is_revoked(*, jti: str, user_id: str, issued_at: float) -> bool:
    values = _cache().get_many([_jti_key(jti), _user_key(user_id)])
    if values.get(_jti_key(jti)):
        return True
    revoked_before = values.get(_user_key(user_id))
    return revoked_before is not None and issued_at < revoked_before
