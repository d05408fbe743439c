"""A request's file, streamed to storage: never whole in memory, capped, hashed, sniffed, renamed.

:func:`receive_file` installs :class:`CappedUploadHandler` before the body is parsed: each chunk goes
to a temporary file while the handler counts it (over the cap: 413, and the temporary file goes with
the request), feeds the SHA-256, and keeps the first bytes for sniffing. :func:`store_upload` then
saves the temporary file under a name of our own (a random key: nothing the client sent reaches a
path), with the type libmagic reads from the bytes rather than the one the client claimed.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
import uuid
from dataclasses import dataclass

import magic
from django.conf import settings
from django.core.files.uploadhandler import TemporaryFileUploadHandler

from ..errors import InvalidInput, TooLarge

SNIFF_BYTES = 8192
NAME_MAX = 200
# The multipart framing around the file (boundaries, part headers) beside the file itself.
FRAMING_ALLOWANCE = 64 * 1024
_UNSAFE_IN_NAME = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]+')


def max_upload_bytes() -> int:
    return settings.MARKETPLACE_CONFIG.max_upload_mb * 1024 * 1024


def too_large(limit: int) -> TooLarge:
    return TooLarge(f"A file may be at most {limit // (1024 * 1024)} MB.")


class CappedUploadHandler(TemporaryFileUploadHandler):
    """Every file part to a temporary file, at most ``max_bytes`` of it; its SHA-256 and first bytes
    recorded on the way (``upload.sha256``, ``upload.head``)."""

    def __init__(self, request=None, *, max_bytes: int):
        super().__init__(request)
        self.max_bytes = max_bytes

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        # A declared length over the cap is refused before a byte of it is read.
        if content_length and content_length > self.max_bytes + FRAMING_ALLOWANCE:
            raise too_large(self.max_bytes)

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.received = 0
        self.digest = hashlib.sha256()
        self.head = bytearray()

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > self.max_bytes:
            raise too_large(self.max_bytes)
        self.digest.update(raw_data)
        if len(self.head) < SNIFF_BYTES:
            self.head += raw_data[:SNIFF_BYTES - len(self.head)]
        return super().receive_data_chunk(raw_data, start)

    def file_complete(self, file_size):
        upload = super().file_complete(file_size)
        upload.sha256 = self.digest.hexdigest()
        upload.head = bytes(self.head)
        return upload


def receive_file(request, *, field: str = "file", max_bytes: int | None = None):
    """The one file of a multipart request (a DRF request whose body has not been read yet) in the
    field ``field``, streamed to a temporary file; InvalidInput when anything else was sent."""
    max_bytes = max_bytes or max_upload_bytes()
    request._request.upload_handlers = [CappedUploadHandler(request._request, max_bytes=max_bytes)]
    files = request.FILES.getlist(field)
    extra = (set(request.data.keys()) | set(request.FILES.keys())) - {field}
    if len(files) != 1 or extra:
        raise InvalidInput.on(field, f"Send one file as the multipart field '{field}' and nothing else.")
    return files[0]


def sanitised_name(name: str | None) -> str:
    """A name safe to show and to put in Content-Disposition: the last path segment only, no control
    or reserved characters, no leading dots, at most NAME_MAX characters with the extension kept."""
    name = unicodedata.normalize("NFC", name or "")
    name = re.split(r"[/\\]", name)[-1]
    name = _UNSAFE_IN_NAME.sub("_", name).strip().lstrip(".").strip()
    if not name:
        return "file"
    if len(name) > NAME_MAX:
        stem, dot, extension = name.rpartition(".")
        extension = extension[:20] if dot and stem else ""
        name = name[:NAME_MAX - len(extension) - 1] + "." + extension if extension else name[:NAME_MAX]
    return name


def sniffed_type(head: bytes) -> str:
    """The type libmagic reads in the first bytes (the client's Content-Type is never believed)."""
    found = magic.from_buffer(head, mime=True) if head else ""
    return found if found and "/" in found else "application/octet-stream"


@dataclass(frozen=True)
class StoredUpload:
    key: str  # the name in the storage
    name: str  # the client's name, sanitised: shown, and given to whoever downloads it
    size: int
    content_type: str
    sha256: str


def store_upload(upload, *, storage, folder: str, field: str = "file") -> StoredUpload:
    """Save ``upload`` (from :func:`receive_file`) under ``folder/<random hex>`` in ``storage``."""
    if not upload.size:
        raise InvalidInput.on(field, "The file is empty.")
    head = getattr(upload, "head", None)
    digest = getattr(upload, "sha256", None)
    if head is None or digest is None:  # an upload that came another way (a test's, an admin's)
        upload.seek(0)
        head = upload.read(SNIFF_BYTES)
        hasher = hashlib.sha256()
        upload.seek(0)
        for chunk in upload.chunks():
            hasher.update(chunk)
        digest = hasher.hexdigest()
    content_type = sniffed_type(head)
    upload.content_type = content_type  # what S3 records as the object's type
    upload.seek(0)
    key = storage.save(f"{folder.strip('/')}/{uuid.uuid4().hex}", upload)
    return StoredUpload(key=key, name=sanitised_name(upload.name), size=upload.size, content_type=content_type,
                        sha256=digest)
