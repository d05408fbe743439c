"""Failed-login counting that slows guessing without letting anyone lock a user out.

Three counters, each over a fixed window (``LOGIN_FAILURE_WINDOW_SECONDS``, accounts.attempts):

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

import time

from django.conf import settings
from django.core.cache import caches

from . import attempts
from .emails import normalise_email

LOCK_MEMORY_SECONDS = 24 * 60 * 60  # how long earlier account locks make the next one longer


def _account(email: str) -> str:
    return attempts.digest(normalise_email(email))


def _pair_key(email: str, address: str) -> str:
    return f"login-failures:pair:{attempts.digest(_account(email), address)}"


def _address_key(address: str) -> str:
    return f"login-failures:address:{attempts.digest(address)}"


def _account_key(email: str) -> str:
    return f"login-failures:account:{_account(email)}"


def _lock_key(email: str) -> str:
    return f"login-lock:account:{_account(email)}"


def seconds_until_allowed(*, email: str, address: str) -> int:
    """0 when a login may be tried now, else how long to wait."""
    refused = attempts.seconds_refused({
        _pair_key(email, address): settings.LOGIN_FAILURES_PER_ACCOUNT_ADDRESS,
        _address_key(address): settings.LOGIN_FAILURES_PER_ADDRESS,
    })
    locked = (caches["shared"].get(_lock_key(email)) or 0) - time.time()
    return attempts.whole_seconds(max(refused, locked))


def record_failure(*, email: str, address: str) -> None:
    window = settings.LOGIN_FAILURE_WINDOW_SECONDS
    attempts.count(_pair_key(email, address), window=window)
    attempts.count(_address_key(address), window=window)
    if attempts.count(_account_key(email), window=window) >= settings.LOGIN_FAILURES_PER_ACCOUNT:
        _lock_account(email)


def record_success(*, email: str, address: str) -> None:
    """A right password clears this address's count for the account (not the address's own)."""
    attempts.clear(_pair_key(email, address))


def _lock_account(email: str) -> None:
    cache = caches["shared"]
    locks_key = f"{_lock_key(email)}:count"
    cache.add(locks_key, 0, timeout=LOCK_MEMORY_SECONDS)
    try:
        locks = cache.incr(locks_key)
    except ValueError:  # expired between add() and incr()
        cache.set(locks_key, 1, timeout=LOCK_MEMORY_SECONDS)
        locks = 1
    seconds = min(settings.LOGIN_ACCOUNT_LOCK_SECONDS * 2 ** (locks - 1), settings.LOGIN_FAILURE_WINDOW_SECONDS)
    cache.set(_lock_key(email), time.time() + seconds, timeout=seconds)
    attempts.clear(_account_key(email))  # the next lock needs as many failures again
