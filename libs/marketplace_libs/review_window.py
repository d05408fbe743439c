"""How long after an order's completion its parties may review it: ``MARKETPLACE_REVIEW_WINDOW_DAYS``.

The review service enforces it; the order service counts the reviews still owed inside it (``awaiting_your_review``
of ``GET /api/orders/summary``). Both read it here, so they cannot disagree on its default or its bounds.
"""

from __future__ import annotations

import environ
from django.core.exceptions import ImproperlyConfigured

DEFAULT_DAYS = 10


def review_window_days(env: environ.Env | None = None) -> float:
    try:
        days = (env or environ.Env()).float("MARKETPLACE_REVIEW_WINDOW_DAYS", default=DEFAULT_DAYS)
    except ValueError:
        days = None
    if days is None or not days > 0:
        raise ImproperlyConfigured("MARKETPLACE_REVIEW_WINDOW_DAYS must be a positive number of days.")
    return days
