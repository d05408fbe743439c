"""Pushing a notification to its user's open sockets, on whichever process they are."""

from channels.layers import get_channel_layer

from marketplace_libs import background_loop


def user_group(user_id) -> str:
    return f"notifications.user.{user_id}"


def push(user_id, notification: dict) -> None:
    # Called from the worker's event handlers (after commit), which have no loop of their own.
    background_loop.run(get_channel_layer().group_send(
        user_group(user_id), {"type": "notification.frame", "frame": {"type": "notification.new",
                                                                      "notification": notification}}))
