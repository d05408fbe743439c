"""Where the ``files`` storage is, from ``MARKETPLACE_STORAGE_URL``: read by the settings, so it imports
nothing heavy (boto3 is loaded only by the storage class itself)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit

from ..config import ImproperlyConfiguredPlatform

LINK_SECONDS = 300  # how long a download link works
DEFAULT_REGION = "us-east-1"


class StorageUrlError(ImproperlyConfiguredPlatform):
    pass


@dataclass(frozen=True)
class S3Location:
    endpoint_url: str
    bucket: str
    access_key: str
    secret_key: str
    region: str = DEFAULT_REGION


def parse_storage_url(url: str) -> S3Location:
    """``s3://KEY:SECRET@host:port/bucket`` (plain HTTP, as a local MinIO speaks) or ``s3+https://...``;
    ``?region=`` names the region (default us-east-1)."""
    parts = urlsplit(url)
    schemes = {"s3": "http", "s3+http": "http", "s3+https": "https"}
    if parts.scheme not in schemes:
        raise StorageUrlError(f"MARKETPLACE_STORAGE_URL must start with s3:// or s3+https://, not {parts.scheme}://")
    bucket = parts.path.strip("/")
    if not parts.hostname or not bucket or "/" in bucket:
        raise StorageUrlError("MARKETPLACE_STORAGE_URL must name a host and one bucket: s3://KEY:SECRET@host:port/bucket")
    if not parts.username or not parts.password:
        raise StorageUrlError("MARKETPLACE_STORAGE_URL must carry the access key and secret: s3://KEY:SECRET@host/bucket")
    netloc = parts.hostname if parts.port is None else f"{parts.hostname}:{parts.port}"
    region = parse_qs(parts.query).get("region", [DEFAULT_REGION])[0]
    return S3Location(endpoint_url=f"{schemes[parts.scheme]}://{netloc}", bucket=bucket,
                      access_key=unquote(parts.username), secret_key=unquote(parts.password), region=region)


def storage_backend(*, storage_url: str | None, service: str, var_dir, public_url: str | None = None) -> dict:
    """The ``STORAGES["files"]`` entry of ``service``: its own prefix in the bucket, or its own folder."""
    if storage_url:
        location = parse_storage_url(storage_url)
        return {"BACKEND": "marketplace_libs.files.storage.PresignedS3Storage", "OPTIONS": {
            "endpoint_url": location.endpoint_url, "bucket_name": location.bucket,
            "access_key": location.access_key, "secret_key": location.secret_key,
            "region_name": location.region, "location": service, "addressing_style": "path",
            "signature_version": "s3v4", "querystring_expire": LINK_SECONDS, "file_overwrite": False,
            "default_acl": None, "public_endpoint": public_url or None,
        }}
    return {"BACKEND": "marketplace_libs.files.storage.SignedFileSystemStorage", "OPTIONS": {
        "location": str(var_dir / "media" / service), "service": service}}


