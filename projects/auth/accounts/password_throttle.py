"""Limits on the password paths other than login (accounts.attempts counters).

- Reset requests per email address: ``PASSWORD_RESETS_PER_EMAIL`` per ``PASSWORD_RESET_WINDOW_SECONDS``.
  Past it the request is quietly dropped (the answer stays 202, so it never tells who has an
  account): a burst can no longer fill someone's mailbox.
- Wrong current passwords on ``password/change``: ``PASSWORD_CHANGE_FAILURES`` per
  ``LOGIN_FAILURE_WINDOW_SECONDS`` per account; past it 429, so a stolen access token cannot be used
  to guess the password (and take the account with it).
"""

from __future__ import annotations

from django.conf import settings

from . import attempts
from .emails import normalise_email


def _reset_key(email: str) -> str:
    return f"password-reset:email:{attempts.digest(normalise_email(email))}"


def _change_key(user_id: str) -> str:
    return f"password-change-failures:user:{user_id}"


def reset_request_allowed(*, email: str) -> bool:
    """Counts this request; False once the address has had its share of reset emails for the window."""
    counted = attempts.count(_reset_key(email), window=settings.PASSWORD_RESET_WINDOW_SECONDS)
    return counted <= settings.PASSWORD_RESETS_PER_EMAIL


def seconds_until_change_allowed(*, user_id: str) -> int:
    return attempts.whole_seconds(attempts.seconds_refused({_change_key(user_id): settings.PASSWORD_CHANGE_FAILURES}))


def record_change_failure(*, user_id: str) -> None:
    attempts.count(_change_key(user_id), window=settings.LOGIN_FAILURE_WINDOW_SECONDS)


def record_change_success(*, user_id: str) -> None:
    attempts.clear(_change_key(user_id))
