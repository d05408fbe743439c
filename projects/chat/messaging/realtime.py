"""Frames to users' open sockets, on whichever chat process they are (the channel layer's groups)."""

from __future__ import annotations

import asyncio

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer


def user_group(user_id) -> str:
    return f"chat.user.{user_id}"


def push(user_ids, frame: dict) -> None:
    """From synchronous code (a service, after commit): one trip to the event loop for all the users."""
    async_to_sync(push_async)(user_ids, frame)


async def push_async(user_ids, frame: dict) -> None:
    layer = get_channel_layer()
    message = {"type": "chat.frame", "frame": frame}
    await asyncio.gather(*(layer.group_send(user_group(user_id), message) for user_id in user_ids))
