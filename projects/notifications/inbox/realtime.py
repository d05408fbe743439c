"""Pushing a notification to its user's open sockets, on whichever process they are."""

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer


def user_group(user_id) -> str:
    return f"notifications.user.{user_id}"


def push(user_id, notification: dict) -> None:
    async_to_sync(get_channel_layer().group_send)(
        user_group(user_id), {"type": "notification.frame", "frame": {"type": "notification.new",
                                                                      "notification": notification}})
