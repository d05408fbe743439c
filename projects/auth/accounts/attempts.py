"""Fixed-window attempt counters in the shared cache, for the throttles of the auth service.

A window starts with its first attempt and never slides; once a counter reaches its limit, what it
guards is refused until the window ends. Refused attempts are not counted (callers check first).
"""

from __future__ import annotations

import hashlib
import time

from django.core.cache import caches


def _cache():
    return caches["shared"]


def digest(*parts: str) -> str:
    """A short, fixed-length key part for what may be long or personal (emails, addresses)."""
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:32]


def count(key: str, *, window: int) -> int:
    """One more attempt; returns how many the window holds now."""
    cache = _cache()
    # add() starts a window only if none is running, so the window never slides. The window is the
    # ":until" entry, not the counter: Django's file and database caches reset an entry's expiry on
    # incr(), so a counter can outlive its window and must then start again.
    if cache.add(f"{key}:until", time.time() + window, timeout=window):
        cache.set(key, 1, timeout=window)
        return 1
    try:
        counted = cache.incr(key)
    except ValueError:  # the counter expired before its window
        cache.set(key, 1, timeout=window)
        return 1
    cache.touch(key, window)  # at least as long as its window, whatever incr() did
    return counted


def seconds_refused(limits: dict[str, int]) -> float:
    """How long the longest of these counters (key -> limit) that reached its limit still refuses."""
    values = _cache().get_many([*limits, *(f"{key}:until" for key in limits)])
    now = time.time()
    return max([0.0, *(values.get(f"{key}:until", 0) - now
                       for key, limit in limits.items() if values.get(key, 0) >= limit)])


def clear(key: str) -> None:
    _cache().delete_many([key, f"{key}:until"])


def whole_seconds(wait: float) -> int:
    """A wait as Retry-After says it: whole seconds, at least 1 while anything is left."""
    return int(wait) + 1 if wait > 0 else 0
