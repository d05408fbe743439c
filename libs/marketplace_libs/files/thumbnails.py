"""Thumbnails of stored images, made by a service's Celery worker rather than on the request path."""

from __future__ import annotations

import io
import uuid

import structlog
from django.core.files.base import ContentFile
from PIL import Image, ImageOps, UnidentifiedImageError

from ..events.celery_app import send_task
from ..images import MAX_SOURCE_PIXELS

log = structlog.get_logger("marketplace.files")

THUMBNAIL_SIDE = 480


def request_thumbnail(task: str, object_id) -> None:
    """Ask the service's worker (its task ``task``) for the thumbnail of ``object_id``. With the broker away
    the upload still succeeds: the service's periodic sweep makes the missing thumbnails later."""
    try:
        send_task(task, str(object_id))
    except Exception as error:  # noqa: BLE001 - any broker failure: the sweep is the fallback
        log.warning("thumbnail_task_not_queued", task=task, object_id=str(object_id), error=repr(error))


def make_thumbnail(storage, name: str, *, folder: str, side: int = THUMBNAIL_SIDE) -> str | None:
    """A WebP copy of the stored image ``name`` scaled to fit ``side`` pixels, saved under ``folder``;
    its name, or None when ``name`` is not an image Pillow can read (a PDF, a zip: no thumbnail)."""
    try:
        with storage.open(name, "rb") as handle, Image.open(handle) as image:
            width, height = image.size
            if width * height > MAX_SOURCE_PIXELS:
                return None
            image.seek(0)
            image.draft("RGB", (side, side))  # JPEG: decode at a reduced scale
            picture = ImageOps.exif_transpose(image)
            picture.thumbnail((side, side))
            output = io.BytesIO()
            picture.convert("RGBA" if picture.mode in ("RGBA", "LA", "P") else "RGB").save(output, "WEBP", quality=80)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        return None
    return storage.save(f"{folder.strip('/')}/{uuid.uuid4().hex}.webp", ContentFile(output.getvalue()))
