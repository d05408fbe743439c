import uuid

from django.db import models
from django.utils import timezone

from ..times import iso_utc


class OutboxEvent(models.Model):
    """An event written in the same transaction as the change it reports, waiting to be sent.

    The relay sends rows in ``id`` order, so events of one aggregate (written under that
    aggregate's row lock) leave in the order they happened.
    """

    id = models.BigAutoField(primary_key=True)
    event_id = models.UUIDField(unique=True, default=uuid.uuid4, editable=False)
    event_type = models.CharField(max_length=100)
    version = models.PositiveSmallIntegerField(default=1)
    occurred_at = models.DateTimeField()
    producer = models.CharField(max_length=50)
    correlation_id = models.CharField(max_length=128, blank=True)
    aggregate_id = models.CharField(max_length=100, blank=True)
    data = models.JSONField()
    published_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["id"], name="outbox_unpublished_idx", condition=models.Q(published_at__isnull=True)),
            models.Index(fields=["published_at"], name="outbox_published_idx"),
        ]
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_id}"

    def envelope(self) -> dict:
        return envelope_of(self.event_id, self.event_type, self.version, self.occurred_at, self.producer,
                           self.correlation_id, self.data)


def envelope_of(event_id, event_type: str, version: int, occurred_at, producer: str, correlation_id: str,
                data: dict) -> dict:
    """The envelope of an outbox row, from its columns (the relay reads them without making models)."""
    return {
        "id": str(event_id),
        "type": event_type,
        "version": version,
        "occurred_at": iso_utc(occurred_at),
        "producer": producer,
        "correlation_id": correlation_id,
        "data": data,
    }


class InboxEvent(models.Model):
    """An event this service has applied; recorded in the same transaction as its effect."""

    event_id = models.UUIDField(primary_key=True)
    event_type = models.CharField(max_length=100)
    producer = models.CharField(max_length=50)
    correlation_id = models.CharField(max_length=128, blank=True)
    handled_at = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_id}"
