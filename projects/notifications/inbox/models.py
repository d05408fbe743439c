"""Notifications in each user's inbox, the emails sent for them, and what each user wants to receive."""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone


class Recipient(models.Model):
    """Where and how to reach a user: the email from ``user.registered``, the wishes from
    ``user.preferences_updated``."""

    user_id = models.UUIDField(primary_key=True)
    username = models.CharField(max_length=30)
    email = models.EmailField(blank=True)
    email_notifications = models.BooleanField(default=True)
    message_emails = models.BooleanField(default=True)
    language = models.CharField(max_length=2, default="en")
    preferences_revision = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return self.username


class Notification(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user_id = models.UUIDField()
    kind = models.CharField(max_length=40)
    title = models.CharField(max_length=200)
    body = models.TextField(max_length=2000, blank=True)
    data = models.JSONField(default=dict, blank=True)
    source_event_id = models.UUIDField(help_text="The event that caused it: one notification per event and user.")
    read_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["source_event_id", "user_id", "kind"],
                                               name="notification_once_per_event")]
        indexes = [
            models.Index(fields=["user_id", "-created_at"], name="notification_inbox_idx"),
            models.Index(fields=["user_id"], condition=Q(read_at__isnull=True), name="notification_unread_idx"),
        ]


class DeliveryStatus(models.TextChoices):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
    SKIPPED = "skipped"


class EmailDelivery(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user_id = models.UUIDField(null=True, blank=True)
    to_address = models.EmailField()
    kind = models.CharField(max_length=40)
    context = models.JSONField(default=dict, help_text="What the templates need.")
    source_event_id = models.UUIDField()
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    reason = models.CharField(max_length=200, blank=True, help_text="Why it was skipped or failed.")
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "email deliveries"
        constraints = [models.UniqueConstraint(fields=["source_event_id", "to_address", "kind"],
                                               name="email_once_per_event_and_address")]
        indexes = [models.Index(fields=["status", "created_at"], name="email_status_idx")]
