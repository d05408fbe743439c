from django.db import models


class Received(models.Model):
    """One row per application of an event: no unique constraint, so a double application shows."""

    event_id = models.UUIDField(db_index=True)
    event_type = models.CharField(max_length=100)
    username = models.CharField(max_length=100)
    occurred_at = models.DateTimeField()
    handled_at = models.DateTimeField(auto_now_add=True)
