"""The ``files`` storage: S3 (django-storages, boto3) or the file system, and signed URLs for both.

A stored name never leaves a service as a path anyone can fetch: :meth:`signed_url` answers a link that
works for a few minutes (an S3 presigned URL, or a gateway link signed with the platform's secret),
with the file's name and a type the browser may render only for the kinds that are safe inline.
"""

from __future__ import annotations

import mimetypes
import posixpath

from django.core.files.storage import FileSystemStorage, storages
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.functional import LazyObject, empty
from django.utils.http import content_disposition_header
from storages.backends.s3 import S3Storage

from . import links
from .config import LINK_SECONDS

# Types a browser may show inline: raster images, which cannot run script. Everything else (HTML, SVG,
# PDF, scripts, executables, archives) is served as an attachment of type application/octet-stream.
INLINE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})


def served_inline(content_type: str) -> bool:
    return content_type in INLINE_TYPES


def served_headers(filename: str, content_type: str) -> tuple[str, str]:
    """(Content-Type, Content-Disposition) a download is answered with."""
    inline = served_inline(content_type)
    return (content_type if inline else "application/octet-stream",
            content_disposition_header(not inline, filename))


def _guessed_type(name: str) -> str:
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


class SignedFileSystemStorage(FileSystemStorage):
    """Files under ``var/media/<service>/``, reached only through the gateway's signed ``/files/`` links
    (the gateway checks the signature and lets nginx send the bytes: docs/files.md)."""

    def __init__(self, *, service: str, **options):
        super().__init__(**options)
        self.service = service

    def signed_url(self, name: str, *, filename: str, content_type: str, lifetime: int = LINK_SECONDS) -> str:
        served_type, disposition = served_headers(filename, content_type)
        return links.gateway_link(service=self.service, name=name, content_type=served_type,
                                  disposition=disposition, lifetime=lifetime)

    def url(self, name: str) -> str:  # FieldFile.url: a signed link, never a public path
        return self.signed_url(name, filename=posixpath.basename(name), content_type=_guessed_type(name))


class PresignedS3Storage(S3Storage):
    """S3 (or MinIO) through django-storages; every URL presigned for ``querystring_expire`` seconds.

    ``public_endpoint``: where browsers reach the bucket's server when the services reach it at another
    address (a compose network name); the presigned URL keeps its path and query, only the origin changes,
    so whatever answers there must pass requests on with the internal Host."""

    def __init__(self, *, public_endpoint: str | None = None, **options):
        super().__init__(**options)
        self.public_endpoint = (public_endpoint or "").rstrip("/") or None

    def signed_url(self, name: str, *, filename: str, content_type: str, lifetime: int = LINK_SECONDS) -> str:
        served_type, disposition = served_headers(filename, content_type)
        url = super().url(name, parameters={"ResponseContentType": served_type,
                                            "ResponseContentDisposition": disposition}, expire=lifetime)
        if self.public_endpoint and url.startswith(self.endpoint_url):
            url = self.public_endpoint + url[len(self.endpoint_url.rstrip("/")):]
        return url

    def url(self, name: str, parameters=None, expire=None, http_method=None) -> str:
        if parameters or expire or http_method:
            return super().url(name, parameters=parameters, expire=expire, http_method=http_method)
        return self.signed_url(name, filename=posixpath.basename(name), content_type=_guessed_type(name))


class _FilesStorage(LazyObject):
    def _setup(self):
        self._wrapped = storages["files"]


file_storage = _FilesStorage()


def stored_files():
    """The ``files`` storage, for ``FileField(storage=stored_files)`` (a callable, so migrations name it)."""
    return file_storage


@receiver(setting_changed)
def _storages_changed(*, setting, **kwargs):
    if setting == "STORAGES":  # tests switch between the file system and S3
        file_storage._wrapped = empty
