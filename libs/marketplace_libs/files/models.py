"""The columns every service's table of uploaded files has."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone

from .storage import file_storage, served_inline


class StoredFile(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    key = models.CharField(max_length=300, unique=True, help_text="The name in the files storage.")
    name = models.CharField(max_length=255, help_text="The uploader's file name, sanitised.")
    size = models.BigIntegerField()
    content_type = models.CharField(max_length=127, help_text="Sniffed from the bytes.")
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.UUIDField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.name

    @property
    def inline(self) -> bool:
        return served_inline(self.content_type)

    def download_url(self) -> str:
        """A link to the bytes that works for a few minutes."""
        return file_storage.signed_url(self.key, filename=self.name, content_type=self.content_type)
