"""The chat socket: ``/ws/chat/?token=``. Frames of the contract; every store goes through services."""

from __future__ import annotations

import uuid

from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from django.conf import settings

from marketplace_libs.authentication import require_verified_email
from marketplace_libs.errors import DomainError, RateLimited
from marketplace_libs.socket_sweeps import Sweep
from marketplace_libs.sockets import FrameError, JsonFrameConsumer, required

from . import metrics, presence, realtime, selectors, services


class ChatConsumer(JsonFrameConsumer):
    async def on_open(self, user):
        await self.channel_layer.group_add(realtime.user_group(user.id), self.channel_name)
        await database_sync_to_async(presence.mark_online, thread_sensitive=False)(user.id, self.channel_name)
        # The last close announces nothing: the presence sweep does, after the grace period (a reload).
        await database_sync_to_async(services.socket_opened, thread_sensitive=False)(user_id=user.id)
        PRESENCE_HEARTBEAT.join(self)
        metrics.SOCKETS_OPEN.inc()

    async def on_close(self):
        metrics.SOCKETS_OPEN.dec()
        PRESENCE_HEARTBEAT.leave(self)
        await self.channel_layer.group_discard(realtime.user_group(self.user.id), self.channel_name)
        await database_sync_to_async(presence.mark_offline, thread_sensitive=False)(self.user.id, self.channel_name)

    # --- frames from the client ---------------------------------------------------------------

    async def frame_message_send(self, frame):
        require_verified_email(self.user)  # an error frame, code email_unverified; the socket stays open
        conversation_id = _uuid(required(frame, "conversation_id"), "conversation_id")
        file_ids = frame.get("file_ids")
        body = frame.get("body", "") if file_ids else required(frame, "body")
        if not isinstance(body, str):
            raise FrameError("invalid_frame", '"body" must be a string.')
        client_id = frame.get("client_id")
        if client_id is not None and not isinstance(client_id, str):
            raise FrameError("invalid_frame", '"client_id" must be a string.')
        await self._call(services.send_message, conversation_id=conversation_id, sender_id=self.user.id,
                         sender_name=self.user.username, body=body, client_id=client_id, file_ids=file_ids)
        # message.new reaches this socket too (the sender's tabs all get the echo), after commit.

    async def frame_typing(self, frame):
        conversation_id = _uuid(required(frame, "conversation_id"), "conversation_id")
        conversation = await database_sync_to_async(selectors.conversation_for, thread_sensitive=False)(
            conversation_id, self.user.id)
        if conversation is None:
            raise FrameError("not_found", "No such conversation.")
        await realtime.push_async([conversation.other(self.user.id)], {
            "type": "typing", "conversation_id": str(conversation.pk), "user_id": str(self.user.id)})

    async def frame_read(self, frame):
        conversation_id = _uuid(required(frame, "conversation_id"), "conversation_id")
        await self._call(services.mark_read, conversation_id=conversation_id, user_id=self.user.id,
                         message_id=required(frame, "message_id"))

    async def _call(self, service, **arguments):
        # Not thread_sensitive: a consumer has no ThreadSensitiveContext, so thread-sensitive calls of
        # every socket of the process would queue for one thread (one send at a time, process-wide).
        # Each call is its own transaction; a socket's frames are still handled one after another.
        try:
            await database_sync_to_async(service, thread_sensitive=False)(**arguments)
        except RateLimited as error:
            raise FrameError("rate_limited", error.detail) from None
        except DomainError as error:
            detail = error.detail
            if error.errors:
                detail = "; ".join(f"{field}: {' '.join(messages)}" for field, messages in error.errors.items())
            raise FrameError(error.code, detail) from None

    # --- frames to the client (from the channel layer) --------------------------------------------

    async def chat_frame(self, event):
        await self.send_frame(event["frame"])


async def _renew_presence(sockets: list[ChatConsumer]) -> None:
    """The sockets due (each once per CHAT_PRESENCE_HEARTBEAT_SECONDS) stay present, in one round trip
    to Redis for all of them."""
    await sync_to_async(presence.renew, thread_sensitive=False)([(socket.user.id, socket.channel_name)
                                                                 for socket in sockets])


PRESENCE_HEARTBEAT = Sweep("presence heartbeat", interval=lambda: settings.CHAT_PRESENCE_HEARTBEAT_SECONDS,
                           work=_renew_presence)


def _uuid(value: str, field: str) -> str:
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise FrameError("not_found", f"No such {field.removesuffix('_id')}.") from None
