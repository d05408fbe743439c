"""The Redis every chat process shares (presence, the send counter), where the platform has one."""

from __future__ import annotations

from django.conf import settings


def client():
    """The "shared" cache's Redis client, or None when the platform runs without Redis (embedded)."""
    if not settings.MARKETPLACE_REDIS_URL:
        return None
    from django_redis import get_redis_connection

    return get_redis_connection("shared")
