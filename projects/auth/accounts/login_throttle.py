"""Failed-login counting, per account and per client address.

Counters live in the shared cache (Redis in production) with a fixed window;
once either is over its limit, logins are refused with 429 until the window
ends, even with the right password, so guessing gains nothing.
"""

from __future__ import annotations

import hashlib
import time

from django.conf import settings
from django.core.cache import caches


def _cache():
    return caches["shared"]


def _keys(email: str, address: str) -> dict[str, int]:
    account = hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]
    return {
        f"login-failures:account:{account}": settings.LOGIN_FAILURES_PER_ACCOUNT,
        f"login-failures:address:{address}": settings.LOGIN_FAILURES_PER_ADDRESS,
    }


def seconds_until_allowed(email: str, address: str) -> int:
    """0 when a login may be tried now, else how long to wait."""
    keys = _keys(email, address)
    counters = _cache().get_many([*keys, *(f"{key}:until" for key in keys)])
    wait = 0
    for key, limit in keys.items():
        if counters.get(key, 0) >= limit:
            until = counters.get(f"{key}:until", 0)
            wait = max(wait, int(until - time.time()) + 1)
    return wait


def record_failure(email: str, address: str) -> None:
    window = settings.LOGIN_FAILURE_WINDOW_SECONDS
    cache = _cache()
    for key in _keys(email, address):
        # add() starts a window only if none is running, so the window never slides. The window
        # is the ":until" entry, not the counter: Django's file and database caches reset an entry's
        # expiry on incr(), so a counter can outlive its window and must then start again.
        if cache.add(f"{key}:until", time.time() + window, timeout=window):
            cache.set(key, 1, timeout=window)
            continue
        try:
            cache.incr(key)
        except ValueError:  # the counter expired before its window
            cache.set(key, 1, timeout=window)
        else:
            cache.touch(key, window)  # at least as long as its window, whatever incr() did


def record_success(email: str, address: str) -> None:
    """A right password clears the account's counter (not the address's)."""
    account_key = next(iter(_keys(email, address)))
    _cache().delete_many([account_key, f"{account_key}:until"])
