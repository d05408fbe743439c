"""What a web process does once its application is loaded, before it serves."""

from __future__ import annotations

import gc
import os


def settle_heap() -> None:
    """Load the URLconf, collect once, and move everything loaded so far out of the collector's way.

    A Django process holds many objects after start-up (modules, models, URL patterns, templates)
    that live as long as it does, and every full collection would walk them all again, inside some
    request's latency (docs/decisions.md, 38; figures in docs/performance.md, Gig search).
    ``gc.freeze()`` puts them in a permanent generation that collections skip; objects created while
    serving are collected as before. MARKETPLACE_GC_FREEZE=0 leaves the collector as it is.
    """
    if os.environ.get("MARKETPLACE_GC_FREEZE", "1") == "0":
        return
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 - loaded now (lazily it would be on the first request)
    gc.collect()
    gc.freeze()
