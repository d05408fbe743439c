"""The events the chat service publishes: one function per type, its payload's shape in one place.

Each runs inside the transaction of the change it reports.
"""

from __future__ import annotations

from marketplace_libs.events.publishing import publish
from marketplace_libs.times import iso_utc

from .models import Conversation, Message, PresenceState

PREVIEW_CHARS = 140


def message_sent(message: Message, *, conversation: Conversation, sender_name: str,
                 recipients_online: dict[str, bool]) -> None:
    """``recipients_online``: each recipient's presence when the message was sent, so the notification
    service can tell those who are away from chat without asking chat."""
    publish("message.sent", {
        "message_id": str(message.id), "conversation_id": str(conversation.pk), "sender_id": str(message.sender_id),
        "sender_name": sender_name, "preview": message.body[:PREVIEW_CHARS],
        "recipients": [{"user_id": user_id, "online": online} for user_id, online in recipients_online.items()],
        "gig_id": str(conversation.gig_id) if conversation.gig_id else None,
        "order_id": str(conversation.order_id) if conversation.order_id else None,
        "sent_at": iso_utc(message.created_at), "seq": message.seq,
    }, aggregate_id=str(conversation.pk))


def presence_changed(state: PresenceState) -> None:
    """The user's first socket opened (``online``), or the last one closed and stayed closed through the
    grace period (``at``: when they were last seen)."""
    publish("presence.changed", {
        "user_id": str(state.user_id), "online": state.online, "at": iso_utc(state.changed_at),
        "revision": state.revision,
    }, aggregate_id=str(state.user_id))


def conversation_started(*, conversation_id, participant_ids, gig_id, order_id, started_at) -> None:
    """Who takes part: the order service accepts custom offers only between a conversation's two users.
    Plain values, not the model: migration 0005 announces the conversations that existed before it."""
    publish("conversation.started", {
        "conversation_id": str(conversation_id), "participant_ids": [str(user_id) for user_id in participant_ids],
        "gig_id": str(gig_id) if gig_id else None, "order_id": str(order_id) if order_id else None,
        "started_at": iso_utc(started_at),
    }, aggregate_id=str(conversation_id))
