from django.db import models
from django.utils import timezone


class IdempotentRequest(models.Model):
    """The first answer to a request sent with an ``Idempotency-Key``, written in the same transaction
    as the work it answers: if the row exists, the work was done, and this is what was said."""

    owner = models.CharField(max_length=64, help_text="The caller's user id; keys are per user.")
    scope = models.CharField(max_length=200, help_text="The method and path the key was used on.")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64, help_text="SHA-256 of the request body (canonical JSON).")
    status_code = models.PositiveSmallIntegerField()
    response = models.JSONField(null=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["owner", "scope", "key"], name="idempotent_request_unique_key")]

    def __str__(self) -> str:
        return f"{self.scope} {self.key}"
