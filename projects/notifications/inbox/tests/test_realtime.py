"""Pushes from the worker, through the platform's channel layer on the real Redis."""

import asyncio
import uuid

import redis
from channels.layers import get_channel_layer
from channels_redis.pubsub import RedisPubSubChannelLayer
from django.conf import settings

from inbox import realtime

FRAME = {"id": "n1", "kind": "order.placed", "title": "New order: a logo", "body": "", "data": {}}


def _connections_accepted_by_redis() -> int:
    return redis.Redis.from_url(settings.MARKETPLACE_REDIS_URL).info("stats")["total_connections_received"]


def test_a_push_from_synchronous_code_reaches_a_subscriber_of_the_users_group():
    layer = get_channel_layer()
    assert isinstance(layer, RedisPubSubChannelLayer)
    user_id = str(uuid.uuid4())

    async def subscribe_then_receive():
        channel = await layer.new_channel()
        await layer.group_add(realtime.user_group(user_id), channel)
        await asyncio.get_running_loop().run_in_executor(None, realtime.push, user_id, FRAME)
        return await asyncio.wait_for(layer.receive(channel), timeout=5)

    received = asyncio.run(subscribe_then_receive())

    assert received == {"type": "notification.frame", "frame": {"type": "notification.new", "notification": FRAME}}


def test_pushes_share_one_connection_to_redis_instead_of_opening_one_each():
    realtime.push(str(uuid.uuid4()), FRAME)  # the first may open the worker's connection
    before = _connections_accepted_by_redis()

    for _ in range(20):
        realtime.push(str(uuid.uuid4()), FRAME)

    # One new connection per push before (a new event loop for each); a margin for other clients.
    assert _connections_accepted_by_redis() - before < 5
