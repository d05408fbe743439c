"""Failed-login counting that slows guessing without letting anyone lock a user out.

Three counters, each over a fixed window (``LOGIN_FAILURE_WINDOW_SECONDS``), in the shared cache:

- per (account, client address): past ``LOGIN_FAILURES_PER_ACCOUNT_ADDRESS`` that address may not try
  that account until the window ends. A correct login from an address that has not failed still works,
  so a stranger's guesses never lock the owner out.
- per client address: past ``LOGIN_FAILURES_PER_ADDRESS`` that address may not log in at all (one
  address trying many accounts).
- per account, from every address together: past ``LOGIN_FAILURES_PER_ACCOUNT`` (many addresses
  guessing one account, each within its own pair limit) the account is locked for everyone, briefly:
  ``LOGIN_ACCOUNT_LOCK_SECONDS``, doubling with each lock of the same day up to the window.

A refused attempt counts nothing, so waiting out a lock is the only way through. The account is named
by its normalised email (accounts.emails), the very form the lookup uses.
"""

from __future__ import annotations

import hashlib
import time

from django.conf import settings
from django.core.cache import caches

from .emails import normalise_email

LOCK_MEMORY_SECONDS = 24 * 60 * 60  # how long earlier account locks make the next one longer


def _cache():
    return caches["shared"]


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:32]


def _counters(email: str, address: str) -> dict[str, int]:
    account = _digest(normalise_email(email))
    return {
        f"login-failures:pair:{_digest(account, address)}": settings.LOGIN_FAILURES_PER_ACCOUNT_ADDRESS,
        f"login-failures:address:{_digest(address)}": settings.LOGIN_FAILURES_PER_ADDRESS,
        f"login-failures:account:{account}": settings.LOGIN_FAILURES_PER_ACCOUNT,
    }


def _lock_key(email: str) -> str:
    return f"login-lock:account:{_digest(normalise_email(email))}"


def seconds_until_allowed(*, email: str, address: str) -> int:
    """0 when a login may be tried now, else how long to wait."""
    counters = _counters(email, address)
    lock = _lock_key(email)
    values = _cache().get_many([*counters, *(f"{key}:until" for key in counters), lock])
    now = time.time()
    waits = [values.get(lock, 0) - now]
    for key, limit in counters.items():
        if key.startswith("login-failures:account:"):
            continue  # the account's own count locks through the lock entry, not by itself
        if values.get(key, 0) >= limit:
            waits.append(values.get(f"{key}:until", 0) - now)
    wait = max(waits)
    return int(wait) + 1 if wait > 0 else 0


def record_failure(*, email: str, address: str) -> None:
    counters = _counters(email, address)
    account_key = next(key for key in counters if key.startswith("login-failures:account:"))
    for key in counters:
        count = _count(key)
        if key == account_key and count >= counters[key]:
            _lock_account(email, account_key)


def record_success(*, email: str, address: str) -> None:
    """A right password clears this address's count for the account (not the address's own)."""
    pair_key = next(iter(_counters(email, address)))
    _cache().delete_many([pair_key, f"{pair_key}:until"])


def _count(key: str) -> int:
    window = settings.LOGIN_FAILURE_WINDOW_SECONDS
    cache = _cache()
    # add() starts a window only if none is running, so the window never slides. The window is the
    # ":until" entry, not the counter: Django's file and database caches reset an entry's expiry on
    # incr(), so a counter can outlive its window and must then start again.
    if cache.add(f"{key}:until", time.time() + window, timeout=window):
        cache.set(key, 1, timeout=window)
        return 1
    try:
        count = cache.incr(key)
    except ValueError:  # the counter expired before its window
        cache.set(key, 1, timeout=window)
        return 1
    cache.touch(key, window)  # at least as long as its window, whatever incr() did
    return count


def _lock_account(email: str, account_key: str) -> None:
    cache = _cache()
    lock_key = _lock_key(email)
    cache.add(f"{lock_key}:count", 0, timeout=LOCK_MEMORY_SECONDS)
    try:
        locks = cache.incr(f"{lock_key}:count")
    except ValueError:
        cache.set(f"{lock_key}:count", 1, timeout=LOCK_MEMORY_SECONDS)
        locks = 1
    cache.touch(f"{lock_key}:count", LOCK_MEMORY_SECONDS)
    seconds = min(settings.LOGIN_ACCOUNT_LOCK_SECONDS * 2 ** (locks - 1), settings.LOGIN_FAILURE_WINDOW_SECONDS)
    cache.set(lock_key, time.time() + seconds, timeout=seconds)
    # The next lock needs as many failures again.
    cache.delete_many([account_key, f"{account_key}:until"])
