"""The floor's socket: who you are from the token, then per message one lookup, one INSERT, two group_sends."""

import json
import os
from urllib.parse import parse_qs

import jwt
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.db.models import Q

from .models import Conversation, Message

_KEYS = {key["kid"]: jwt.PyJWK(key).key for key in json.loads(os.environ["MARKETPLACE_BENCH_JWKS"])["keys"]}


def user_group(user_id) -> str:
    return f"floor.user.{user_id}"


@database_sync_to_async
def store(conversation_id, sender_id, body, client_id):
    conversation = Conversation.objects.get(Q(low=sender_id) | Q(high=sender_id), pk=conversation_id)
    message = Message.objects.create(conversation=conversation, sender_id=sender_id, body=body, client_id=client_id)
    return conversation, message


class FloorChatConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self):
        token = parse_qs(self.scope["query_string"].decode())["token"][0]
        key = _KEYS[jwt.get_unverified_header(token)["kid"]]
        self.user_id = jwt.decode(token, key, algorithms=["RS256"], options={"verify_aud": False})["sub"]
        await self.channel_layer.group_add(user_group(self.user_id), self.channel_name)
        await self.accept()

    async def disconnect(self, code):
        await self.channel_layer.group_discard(user_group(self.user_id), self.channel_name)

    async def receive_json(self, content):
        conversation, message = await store(content["conversation_id"], self.user_id, content["body"],
                                            content["client_id"])
        frame = {"type": "message.new", "message": {
            "id": str(message.id), "conversation_id": str(conversation.pk), "sender_id": self.user_id,
            "body": message.body, "client_id": message.client_id, "created_at": message.created_at.isoformat()}}
        for user_id in (conversation.low, conversation.high):
            await self.channel_layer.group_send(user_group(user_id), {"type": "chat.message", "frame": frame})

    async def chat_message(self, event):
        await self.send_json(event["frame"])
