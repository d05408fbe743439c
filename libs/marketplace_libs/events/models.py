import uuid

from django.db import models


class OutboxEvent(models.Model):
    """An event written in the same transaction as the change it reports, waiting to be sent."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    event_type = models.CharField(max_length=100)
    version = models.PositiveSmallIntegerField(default=1)
    occurred_at = models.DateTimeField()
    producer = models.CharField(max_length=50)
    correlation_id = models.CharField(max_length=128, blank=True)
    aggregate_id = models.CharField(max_length=100, blank=True, help_text="Events of one aggregate are sent in order.")
    data = models.JSONField()
    published_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["occurred_at"], name="outbox_unpublished_idx",
                         condition=models.Q(published_at__isnull=True)),
        ]
        ordering = ["occurred_at"]

    def __str__(self) -> str:
        return f"{self.event_type} {self.id}"

    def envelope(self) -> dict:
        return {
            "id": str(self.id),
            "type": self.event_type,
            "version": self.version,
            "occurred_at": self.occurred_at.isoformat().replace("+00:00", "Z"),
            "producer": self.producer,
            "correlation_id": self.correlation_id,
            "data": self.data,
        }
