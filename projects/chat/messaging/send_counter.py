"""How many messages a user has sent in the current window of the send limit.

The windows are aligned to the clock (every CHAT_SEND_WINDOW_SECONDS). With Redis the count is one
round trip on every send: INCR and EXPIRE in one pipeline, where the cache API takes two (``add``,
then ``incr``, which django-redis runs as a Lua script that checks the key exists). The key carries
the window's number, so refreshing its expiry on every send never lets it outlive the window by more
than one more window.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import caches

from . import shared_redis

_KEY = "marketplace:chat:sends:{}:{}"


def count_send(user_id) -> int:
    """Count one more send of ``user_id`` in the current window; the sends of the window so far, this one included."""
    window = settings.CHAT_SEND_WINDOW_SECONDS
    key = _KEY.format(user_id, int(time.time()) // window)
    redis = shared_redis.client()
    if redis is None:
        cache = caches["shared"]
        cache.add(key, 0, timeout=window * 2)
        return cache.incr(key)
    with redis.pipeline(transaction=False) as pipe:
        pipe.incr(key)
        pipe.expire(key, window * 2)
        sends, _ = pipe.execute()
    return sends
