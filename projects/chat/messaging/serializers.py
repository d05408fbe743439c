"""Input and output shapes of the chat API."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from marketplace_libs.fields import StrictCharField
from marketplace_libs.inputs import InputSerializer


class ConversationInput(InputSerializer):
    participant_id = serializers.UUIDField()
    gig_id = serializers.UUIDField(required=False, allow_null=True)
    order_id = serializers.UUIDField(required=False, allow_null=True)


class MessageInput(InputSerializer):
    body = StrictCharField(trim_whitespace=False, allow_blank=True)
    client_id = StrictCharField(required=False, allow_null=True, max_length=64)


class ReadInput(InputSerializer):
    message_id = serializers.UUIDField()


class MessageOutput(serializers.Serializer):
    id = serializers.UUIDField()
    conversation_id = serializers.UUIDField()
    sender_id = serializers.UUIDField()
    body = serializers.CharField()
    client_id = serializers.CharField(allow_null=True)
    created_at = serializers.DateTimeField()


class ParticipantOutput(serializers.Serializer):
    id = serializers.UUIDField()
    username = serializers.CharField(allow_null=True, help_text="Null until the chat service has heard of the user.")
    display_name = serializers.CharField(allow_blank=True)


class ConversationOutput(serializers.Serializer):
    id = serializers.UUIDField()
    participants = serializers.SerializerMethodField()
    gig_id = serializers.UUIDField(allow_null=True)
    order_id = serializers.UUIDField(allow_null=True)
    last_message = serializers.SerializerMethodField()
    unread_count = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    last_message_at = serializers.DateTimeField(allow_null=True)

    @extend_schema_field(ParticipantOutput(many=True))
    def get_participants(self, conversation) -> list[dict]:
        people = self.context.get("people", {})
        return [{"id": user_id, "username": getattr(people.get(user_id), "username", None),
                 "display_name": getattr(people.get(user_id), "display_name", "")}
                for user_id in conversation.participants]

    @extend_schema_field(MessageOutput(allow_null=True))
    def get_last_message(self, conversation) -> dict | None:
        message = self.context.get("last_messages", {}).get(conversation.pk)
        return MessageOutput(message).data if message else None

    def get_unread_count(self, conversation) -> int:
        return max(0, getattr(conversation, "unread_count", 0) or 0)
