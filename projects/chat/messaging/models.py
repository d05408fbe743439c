"""Conversations between two users, their messages in order, and how far each participant has read."""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from marketplace_libs.files.models import StoredFile
from marketplace_libs.readmodels import UserCard


class Person(UserCard):
    """A participant's name, from ``user.registered`` and ``user.profile_updated``."""


class Conversation(models.Model):
    """One per pair of users (stored with the smaller id first), optionally about a gig or an order."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user_low = models.UUIDField()
    user_high = models.UUIDField()
    gig_id = models.UUIDField(null=True, blank=True)
    order_id = models.UUIDField(null=True, blank=True)
    message_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    last_message_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user_low", "user_high"], name="conversation_one_per_pair"),
            models.CheckConstraint(condition=Q(user_low__lt=F("user_high")), name="conversation_ordered_pair"),
        ]
        indexes = [
            models.Index(fields=["user_low", "-last_message_at"], name="conversation_low_idx"),
            models.Index(fields=["user_high", "-last_message_at"], name="conversation_high_idx"),
        ]

    @property
    def participants(self) -> tuple[str, str]:
        return str(self.user_low), str(self.user_high)

    def other(self, user_id) -> str:
        low, high = self.participants
        return high if str(user_id) == low else low


class MessageKind(models.TextChoices):
    TEXT = "text"
    OFFER = "offer"  # a seller's custom offer, shown from the order service's offer.* events


class Message(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages")
    seq = models.PositiveIntegerField(help_text="1, 2, 3... within the conversation.")
    sender_id = models.UUIDField()
    body = models.TextField(max_length=5000)
    client_id = models.CharField(max_length=64, null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # db_default: the send path inserts messages in plain SQL without naming these columns.
    kind = models.CharField(max_length=10, choices=MessageKind.choices, default=MessageKind.TEXT,
                            db_default=MessageKind.TEXT)
    offer_id = models.UUIDField(null=True, blank=True, unique=True, help_text="The offer an offer message shows.")
    offer = models.JSONField(null=True, blank=True, help_text="The offer as its newest offer.* event told it.")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["conversation", "seq"], name="message_seq_per_conversation"),
            # A client retrying a send (a lost acknowledgement, a reconnect) stores it once.
            models.UniqueConstraint(fields=["sender_id", "client_id"], condition=Q(client_id__isnull=False),
                                    name="message_client_id_per_sender"),
        ]


class ReadState(models.Model):
    """How far ``user_id`` has read ``conversation``: every message up to ``last_read_seq``."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="read_states")
    user_id = models.UUIDField()
    last_read_seq = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["conversation", "user_id"], name="read_state_per_user")]


class ChatFile(StoredFile):
    """An attachment: uploaded to a conversation by a participant, then sent with one message."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="files")
    message = models.ForeignKey(Message, on_delete=models.CASCADE, null=True, blank=True, related_name="files")
    # The worker's WebP thumbnail of an image (messaging.tasks); empty for other files and until made.
    thumbnail_key = models.CharField(max_length=300, blank=True)

    class Meta:
        indexes = [models.Index(fields=["message", "created_at"], name="chatfile_message_idx")]


class PresenceState(models.Model):
    """What the chat service last announced of a user's presence (``presence.changed``): the sockets
    themselves live in Redis (presence.py); this row is what makes a page reload, or two sockets opening
    at once on two processes, one announcement rather than several."""

    user_id = models.UUIDField(primary_key=True)
    online = models.BooleanField(default=False)
    revision = models.PositiveIntegerField(default=0)
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["online"], name="presence_online_idx", condition=Q(online=True))]
