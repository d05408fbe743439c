"""Copies gig images stored before the ``files`` storage (under MEDIA_ROOT) onto it (migration 0006)."""

from __future__ import annotations

import structlog
from django.conf import settings
from django.core.files.storage import FileSystemStorage

from marketplace_libs.files.storage import file_storage

log = structlog.get_logger(__name__)


def copy_legacy_images(image_model, *, legacy=None, target=None) -> int:
    """Copy each image whose file the target storage lacks from the legacy folder; how many were copied."""
    legacy = legacy or FileSystemStorage(location=settings.MEDIA_ROOT)
    target = target or file_storage
    copied = 0
    for image in image_model.objects.exclude(file="").only("pk", "file").iterator():
        name = image.file.name
        if target.exists(name):
            continue
        if not legacy.exists(name):
            log.warning("gig_image_missing", image_id=str(image.pk), name=name)
            continue
        with legacy.open(name, "rb") as source:
            saved = target.save(name, source)
        if saved != name:
            image_model.objects.filter(pk=image.pk).update(file=saved)
        copied += 1
    return copied
