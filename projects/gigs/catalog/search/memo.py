"""The database search's results, kept between requests until any gig changes.

A search's summary (count and facets, one pass over every matching gig) and the ids of each page
asked for are kept in the service's cache under the search's parameters and a *generation*: a random
token that every change to a gig replaces (``gigs_changed``), both at once (readers inside the
writing transaction) and once it commits (readers that read the data before it). A token, not a
counter, so that a cache that lost its keys never meets an old generation's entries again.
What is kept is what the statements would answer now; only repeats of a search between two gig
changes are spared the passes over the matching gigs (docs/performance.md, issue 24).
"""

from __future__ import annotations

import hashlib
import logging
import uuid

from django.core.cache import cache
from django.db import transaction

GENERATION_KEY = "gig-search:generation"
KEPT_SECONDS = 300

logger = logging.getLogger(__name__)


def generation() -> str | None:
    """The current generation's token; None when the cache cannot be read (then nothing is kept)."""
    try:
        token = cache.get(GENERATION_KEY)
        if token is None:
            token = uuid.uuid4().hex
            if not cache.add(GENERATION_KEY, token, timeout=None):
                token = cache.get(GENERATION_KEY)
        return token
    except Exception:  # the cache is a saving, never a condition of answering
        logger.warning("gig search cache unreadable", exc_info=True)
        return None


def key(token: str | None, *parts) -> str | None:
    """The cache key of ``parts`` in generation ``token``."""
    if token is None:
        return None
    return f"gig-search:{token}:{hashlib.sha1(repr(parts).encode()).hexdigest()}"


def get(cache_key: str | None):
    if cache_key is None:
        return None
    try:
        return cache.get(cache_key)
    except Exception:
        logger.warning("gig search cache unreadable", exc_info=True)
        return None


def put(cache_key: str | None, value) -> None:
    if cache_key is None:
        return
    try:
        cache.set(cache_key, value, timeout=KEPT_SECONDS)
    except Exception:
        logger.warning("gig search cache unwritable", exc_info=True)


def forget_all() -> None:
    """Every kept result is stale: now, and again once the current transaction commits."""
    _new_generation()
    transaction.on_commit(_new_generation)


def _new_generation() -> None:
    try:
        cache.set(GENERATION_KEY, uuid.uuid4().hex, timeout=None)
    except Exception:
        # A cache that cannot be written now may be readable again later, with this generation's
        # results: they outlive the change by KEPT_SECONDS at most.
        logger.exception("gig search cache generation not renewed")
