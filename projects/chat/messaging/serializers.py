"""Input and output shapes of the chat API."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from marketplace_libs.fields import StrictCharField
from marketplace_libs.inputs import InputSerializer
from marketplace_libs.outputs import OutputSerializer

from .models import MessageKind


class ConversationInput(InputSerializer):
    participant_id = serializers.UUIDField()
    gig_id = serializers.UUIDField(required=False, allow_null=True)
    order_id = serializers.UUIDField(required=False, allow_null=True)


class MessageInput(InputSerializer):
    body = StrictCharField(trim_whitespace=False, allow_blank=True, required=False, default="")
    client_id = StrictCharField(required=False, allow_null=True, max_length=64)
    file_ids = serializers.ListField(child=serializers.UUIDField(), required=False, max_length=10,
                                     help_text="Files the sender uploaded to this conversation (POST .../files).")


class ReadInput(InputSerializer):
    message_id = serializers.UUIDField()


class MessageFileOutput(OutputSerializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    size = serializers.IntegerField()
    content_type = serializers.CharField(help_text="Read from the bytes, not the uploader's word.")
    has_thumbnail = serializers.BooleanField(help_text="GET .../files/<id>/thumbnail answers (images, once made).")


class ChatFileOutput(OutputSerializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    size = serializers.IntegerField()
    content_type = serializers.CharField()
    sha256 = serializers.CharField()
    uploaded_by = serializers.UUIDField()
    message_id = serializers.UUIDField(allow_null=True, help_text="Null until sent with a message.")
    created_at = serializers.DateTimeField()


class OfferCardOutput(OutputSerializer):
    """A custom offer as the order service last told it (GET /api/orders/offers/<id>/ is the source)."""

    id = serializers.UUIDField()
    seller_id = serializers.UUIDField()
    buyer_id = serializers.UUIDField()
    gig_id = serializers.UUIDField()
    title = serializers.CharField()
    description = serializers.CharField()
    price = serializers.CharField(help_text='A decimal string, "240.00".')
    currency = serializers.CharField()
    delivery_days = serializers.IntegerField()
    revisions = serializers.JSONField(help_text='0 to 10, or "unlimited".')
    status = serializers.ChoiceField(choices=("pending", "accepted", "declined", "withdrawn", "expired"))
    expires_at = serializers.DateTimeField()
    order_id = serializers.UUIDField(allow_null=True, help_text="The order placed when the buyer accepted it.")
    created_at = serializers.DateTimeField()


class MessageOutput(OutputSerializer):
    id = serializers.UUIDField()
    conversation_id = serializers.UUIDField()
    sender_id = serializers.UUIDField()
    kind = serializers.ChoiceField(choices=MessageKind.choices, help_text="`text`, or `offer`: a seller's custom "
                                                                         "offer, carried in `offer`.")
    body = serializers.CharField()
    client_id = serializers.CharField(allow_null=True)
    files = serializers.SerializerMethodField()
    offer = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()

    @extend_schema_field(OfferCardOutput(allow_null=True))
    def get_offer(self, message) -> dict | None:
        return message.offer

    @extend_schema_field(MessageFileOutput(many=True))
    def get_files(self, message) -> list[dict]:
        from .services import file_data

        attached = getattr(message, "attached_files", None)  # a message just sent carries its own
        return [file_data(chat_file) for chat_file in (message.files.all() if attached is None else attached)]


class ParticipantOutput(OutputSerializer):
    id = serializers.UUIDField()
    username = serializers.CharField(allow_null=True, help_text="Null until the chat service has heard of the user.")
    display_name = serializers.CharField(allow_blank=True)


class ConversationOutput(OutputSerializer):
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
