"""Frames to users' open sockets, on whichever chat process they are (the channel layer's groups)."""

from __future__ import annotations

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer


def user_group(user_id) -> str:
    return f"chat.user.{user_id}"


def push(user_ids, frame: dict) -> None:
    """From synchronous code (a service, after commit)."""
    layer = get_channel_layer()
    for user_id in user_ids:
        async_to_sync(layer.group_send)(user_group(user_id), {"type": "chat.frame", "frame": frame})


async def push_async(user_ids, frame: dict) -> None:
    layer = get_channel_layer()
    for user_id in user_ids:
        await layer.group_send(user_group(user_id), {"type": "chat.frame", "frame": frame})
