"""Uploaded images, checked by their content and re-encoded before they are stored.

The type is what Pillow finds in the bytes, never the file name or the client's
Content-Type. Re-encoding drops what the upload carried beyond the pixels (EXIF
GPS positions, comments, trailing payloads) and bounds the stored size; the
pixel count is checked before decoding, so a small file cannot expand into a
huge bitmap.
"""

from __future__ import annotations

import io
import uuid
from dataclasses import dataclass

from django.core.files.base import ContentFile
from PIL import Image, ImageOps, UnidentifiedImageError

from .errors import InvalidInput

# Pillow format name -> (format to store, file extension).
_STORED_AS = {"JPEG": ("JPEG", "jpg"), "PNG": ("PNG", "png"), "WEBP": ("WEBP", "webp"), "GIF": ("PNG", "png")}
MAX_SOURCE_PIXELS = 40_000_000


@dataclass(frozen=True)
class ImageRules:
    max_bytes: int
    max_side: int  # the stored image is scaled down to fit a square of this side
    min_side: int = 1
    formats: tuple[str, ...] = ("JPEG", "PNG", "WEBP", "GIF")

    def describe_formats(self) -> str:
        return ", ".join(self.formats)


def processed_image(upload, *, field: str, rules: ImageRules) -> ContentFile:
    """A stored-ready copy of ``upload`` (a Django UploadedFile), or InvalidInput on ``field``."""
    size = getattr(upload, "size", None)
    if size is None or size > rules.max_bytes:
        raise InvalidInput.on(field, f"The image must be at most {rules.max_bytes // (1024 * 1024)} MB.")
    data = upload.read()
    if not data:
        raise InvalidInput.on(field, "The file is empty.")
    source_format = _sniffed_format(data, field, rules)
    try:
        image = Image.open(io.BytesIO(data))
        width, height = image.size
        if width * height > MAX_SOURCE_PIXELS:
            raise InvalidInput.on(field, "The image has too many pixels.")
        if min(width, height) < rules.min_side:
            raise InvalidInput.on(field, f"The image must be at least {rules.min_side} pixels on each side.")
        image.seek(0)  # the first frame of an animation
        image = ImageOps.exif_transpose(image)
        image.thumbnail((rules.max_side, rules.max_side))
        stored_format, extension = _STORED_AS[source_format]
        output = io.BytesIO()
        if stored_format == "JPEG":
            image.convert("RGB").save(output, "JPEG", quality=85, optimize=True)
        elif stored_format == "WEBP":
            image.save(output, "WEBP", quality=85)
        else:
            image.convert("RGBA" if image.mode in ("RGBA", "LA", "P") else "RGB").save(output, "PNG", optimize=True)
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as error:
        raise InvalidInput.on(field, "The image could not be read.") from error
    return ContentFile(output.getvalue(), name=f"{uuid.uuid4().hex}.{extension}")


def _sniffed_format(data: bytes, field: str, rules: ImageRules) -> str:
    try:
        with Image.open(io.BytesIO(data)) as probe:
            found = probe.format
            probe.verify()  # structure and checksums, without decoding the pixels
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise InvalidInput.on(field, f"Upload an image ({rules.describe_formats()}).") from None
    if found not in rules.formats:
        raise InvalidInput.on(field, f"Images of type {found} are not accepted; use {rules.describe_formats()}.")
    return found
