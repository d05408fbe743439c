"""Who has an open chat socket, in Redis so every chat process sees it.

Each socket is a member of its user's sorted set, scored by when its presence runs out; an open
socket's score is renewed every heartbeat (``renew``: the process's sockets that are due, together),
a closed one removes itself. A process that crashes leaves members that simply expire
(CHAT_PRESENCE_TTL_SECONDS), so nobody stays online forever. Without Redis (the embedded default runs
one process) the same is kept in memory.

Beside the sockets, when each user was last seen (a socket opened, renewed or closed): the time the
presence sweep (services.settle_presence) announces as their going offline.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict

from django.conf import settings

from . import shared_redis

_KEY = "marketplace:chat:presence:{}"
_SEEN_KEY = "marketplace:chat:seen:{}"
_SEEN_KEPT_SECONDS = 7 * 24 * 3600
_local: dict[str, dict[str, float]] = {}
_local_seen: dict[str, float] = {}
_local_lock = threading.Lock()


def mark_online(user_id: str, socket_name: str) -> None:
    renew([(user_id, socket_name)])


def renew(sockets: list[tuple[str, str]]) -> None:
    """Keep each of ``sockets`` (a user id, a socket's channel name) present for another
    CHAT_PRESENCE_TTL_SECONDS, and their users seen now: one round trip to Redis for all of them."""
    now = time.time()
    expires = now + settings.CHAT_PRESENCE_TTL_SECONDS
    by_user: dict[str, dict[str, float]] = defaultdict(dict)
    for user_id, socket_name in sockets:
        by_user[str(user_id)][socket_name] = expires
    client = shared_redis.client()
    if client is None:
        with _local_lock:
            for user_id, members in by_user.items():
                _local.setdefault(user_id, {}).update(members)
                _local_seen[user_id] = now
        return
    with client.pipeline(transaction=False) as pipe:
        for user_id, members in by_user.items():
            key = _KEY.format(user_id)
            pipe.zadd(key, members)
            pipe.zremrangebyscore(key, "-inf", now)  # what crashed processes left behind
            pipe.expire(key, settings.CHAT_PRESENCE_TTL_SECONDS)
            pipe.set(_SEEN_KEY.format(user_id), now, ex=_SEEN_KEPT_SECONDS)
        pipe.execute()


def mark_offline(user_id: str, socket_name: str) -> None:
    now = time.time()
    client = shared_redis.client()
    if client is None:
        with _local_lock:
            _local.get(str(user_id), {}).pop(socket_name, None)
            _local_seen[str(user_id)] = now
        return
    with client.pipeline() as pipe:
        pipe.zrem(_KEY.format(user_id), socket_name)
        pipe.set(_SEEN_KEY.format(user_id), now, ex=_SEEN_KEPT_SECONDS)
        pipe.execute()


def last_seen(user_id) -> float | None:
    """When ``user_id`` last opened, renewed or closed a socket (a Unix time), if known."""
    client = shared_redis.client()
    if client is None:
        with _local_lock:
            return _local_seen.get(str(user_id))
    value = client.get(_SEEN_KEY.format(user_id))
    return None if value is None else float(value)


def online(user_ids) -> dict[str, bool]:
    """For each user: has at least one open chat socket now."""
    now = time.time()
    user_ids = [str(user_id) for user_id in user_ids]
    client = shared_redis.client()
    if client is None:
        with _local_lock:
            return {user_id: any(expiry > now for expiry in _local.get(user_id, {}).values()) for user_id in user_ids}
    # Reads only: nothing to make atomic, so no MULTI/EXEC around them (two commands less per send).
    with client.pipeline(transaction=False) as pipe:
        for user_id in user_ids:
            pipe.zcount(_KEY.format(user_id), now, "+inf")
        counts = pipe.execute()
    return {user_id: count > 0 for user_id, count in zip(user_ids, counts)}
