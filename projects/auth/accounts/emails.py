"""The one spelling of an email address that lookups, uniqueness and login counters agree on."""

from __future__ import annotations

import unicodedata


def normalise_email(email: str) -> str:
    """NFKC then casefold: a long-s ``ſ``, a fullwidth ``ａ`` or ``ALICE`` name the account ``alice``.

    PostgreSQL's case-insensitive match (``UPPER``) folds more than Python's ``lower()`` (``ſ`` is
    ``S`` to it), so a lookup and a counter keyed by different foldings let look-alikes log in with a
    failure counter of their own. Everything compares this form, exactly.
    """
    return unicodedata.normalize("NFKC", email or "").strip().casefold()
