"""What a long-running process does once its code is loaded, before it serves."""

from __future__ import annotations

import gc
import os


def settle_heap() -> None:
    """A web process: load the URLconf, then freeze the heap (``freeze_heap``)."""
    if not _freezing():
        return
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 - loaded now (lazily it would be on the first request)
    freeze_heap()


def freeze_heap() -> int:
    """Collect once, and move everything loaded so far out of the collector's way.

    A Django process holds many objects after start-up (modules, models, URL patterns, templates)
    that live as long as it does, and every full collection would walk them all again, inside some
    request's or event's latency (docs/decisions.md, 38 and 93; figures in docs/performance.md).
    ``gc.freeze()`` puts them in a permanent generation that collections skip; objects created while
    serving are collected as before. MARKETPLACE_GC_FREEZE=0 leaves the collector as it is.
    Returns how many objects are frozen (0 when it is off).
    """
    if not _freezing():
        return 0
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()


def _freezing() -> bool:
    return os.environ.get("MARKETPLACE_GC_FREEZE", "1") != "0"
