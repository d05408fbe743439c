"""The files layer on both storages: the file system (the default) and S3 (moto's server mode)."""

import hashlib
import io
import time
from pathlib import Path

import httpx
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from marketplace_libs.config import ImproperlyConfiguredPlatform
from marketplace_libs.files import links
from marketplace_libs.files.config import parse_storage_url
from marketplace_libs.files.storage import PresignedS3Storage, SignedFileSystemStorage, served_headers
from marketplace_libs.files.uploads import sanitised_name, store_upload

UPLOAD = "/api/libstest/upload"


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (20, 20), (10, 200, 10)).save(buffer, "PNG")
    return buffer.getvalue()


def stored_bytes(storage, key: str) -> bytes:
    with storage.open(key, "rb") as handle:
        return handle.read()


def files_on_disk(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


# --- configuration -------------------------------------------------------------------------------

def test_the_storage_url_names_endpoint_bucket_and_keys():
    location = parse_storage_url("s3://AK%2F1:se%40cret@127.0.0.1:9000/marketplace")
    assert (location.endpoint_url, location.bucket, location.access_key, location.secret_key) == (
        "http://127.0.0.1:9000", "marketplace", "AK/1", "se@cret")
    assert parse_storage_url("s3+https://k:s@s3.eu-west-1.amazonaws.com/b?region=eu-west-1").endpoint_url == \
        "https://s3.eu-west-1.amazonaws.com"
    assert parse_storage_url("s3+https://k:s@s3.example.com/b?region=eu-west-1").region == "eu-west-1"


@pytest.mark.parametrize("url", ["http://k:s@host/b", "s3://k:s@host", "s3://host/b", "s3://k:s@host/b/c"])
def test_a_storage_url_without_its_parts_is_refused_at_start(url):
    with pytest.raises(ImproperlyConfiguredPlatform):
        parse_storage_url(url)


def test_the_storage_is_the_file_system_by_default_and_s3_when_configured(files_storage):
    from django.core.files.storage import storages

    kind, storage = files_storage
    expected = PresignedS3Storage if kind == "s3" else SignedFileSystemStorage
    assert isinstance(storages["files"], expected)
    storage.exists("warm-up")  # the lazy storage resolves to that same backend
    assert isinstance(storage._wrapped, expected)


# --- uploads -------------------------------------------------------------------------------------

def test_an_upload_is_stored_with_its_sha256_sniffed_type_and_a_name_of_ours(files_storage, client):
    kind, storage = files_storage
    data = png_bytes()
    response = client.post(UPLOAD, {"file": SimpleUploadedFile("logo final.png", data, "text/plain")})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["sha256"] == hashlib.sha256(data).hexdigest()
    assert (body["name"], body["size"], body["content_type"]) == ("logo final.png", len(data), "image/png")
    assert body["key"].startswith("uploads/") and "logo" not in body["key"]
    assert stored_bytes(storage, body["key"]) == data


def test_a_lying_content_type_is_not_believed_and_html_is_an_attachment(files_storage, client):
    kind, storage = files_storage
    page = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"
    body = client.post(UPLOAD, {"file": SimpleUploadedFile("cat.jpg", page, "image/jpeg")}).json()
    assert body["content_type"] == "text/html"
    assert served_headers(body["name"], body["content_type"]) == (
        "application/octet-stream", 'attachment; filename="cat.jpg"')


@pytest.mark.parametrize("name, kept", [
    ("../../../etc/passwd", "passwd"), ("..\\..\\boot.ini", "boot.ini"), ("/abs/path/x.txt", "x.txt"),
    ("...", "file"), (".bashrc", "bashrc"), ('a<b>:"c|?*.txt', "a_b_c_.txt"),
])
def test_a_path_traversal_name_is_kept_as_a_name_only(files_storage, client, tmp_path, name, kept):
    kind, storage = files_storage
    body = client.post(UPLOAD, {"file": SimpleUploadedFile(name, b"some text\n", "text/plain")}).json()
    assert body["name"] == kept
    assert stored_bytes(storage, body["key"]) == b"some text\n"
    # Nothing was written outside the storage's folder (on S3, nothing on disk at all).
    outside = [path for path in files_on_disk(tmp_path) if "media" not in path.relative_to(tmp_path).parts]
    assert outside == []


def test_a_zero_byte_file_is_refused_and_nothing_stored(files_storage, client, tmp_path):
    kind, storage = files_storage
    response = client.post(UPLOAD, {"file": SimpleUploadedFile("empty.txt", b"", "text/plain")})
    assert response.status_code == 400
    assert response.json()["errors"] == {"file": ["The file is empty."]}
    assert_nothing_stored(kind, storage, tmp_path)


def test_a_file_over_the_cap_is_413_and_nothing_stored(files_storage, client, settings, tmp_path):
    kind, storage = files_storage
    settings.MARKETPLACE_CONFIG = type(settings.MARKETPLACE_CONFIG)(**{
        **settings.MARKETPLACE_CONFIG.__dict__, "max_upload_mb": 1})
    response = client.post(UPLOAD, {"file": SimpleUploadedFile("big.bin", b"x" * (1024 * 1024 + 1))})
    assert response.status_code == 413
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["detail"] == "A file may be at most 1 MB."
    assert_nothing_stored(kind, storage, tmp_path)
    # Exactly the cap is accepted.
    assert client.post(UPLOAD, {"file": SimpleUploadedFile("edge.bin", b"x" * (1024 * 1024))}).status_code == 201


def test_a_file_over_the_cap_is_refused_while_it_streams_not_after(client, settings, files_storage):
    """A chunked body declares no length: the handler stops counting at the cap all the same."""
    from marketplace_libs.files.uploads import CappedUploadHandler
    from marketplace_libs.errors import TooLarge

    handler = CappedUploadHandler(max_bytes=10)
    handler.new_file("file", "a.bin", "application/octet-stream", None)
    handler.receive_data_chunk(b"x" * 10, 0)
    with pytest.raises(TooLarge):
        handler.receive_data_chunk(b"x", 10)


def test_other_fields_beside_the_file_are_refused(client, files_storage):
    response = client.post(UPLOAD, {"file": SimpleUploadedFile("a.txt", b"a"), "path": "../x"})
    assert response.status_code == 400
    assert "file" in response.json()["errors"]
    assert client.post(UPLOAD, {"path": "x"}).status_code == 400


def test_store_upload_hashes_an_upload_that_came_another_way(files_storage):
    kind, storage = files_storage
    stored = store_upload(SimpleUploadedFile("a.pdf", b"%PDF-1.4\n%\xe2\xe3\n"), storage=storage, folder="x")
    assert stored.content_type == "application/pdf"
    assert stored.sha256 == hashlib.sha256(b"%PDF-1.4\n%\xe2\xe3\n").hexdigest()


def assert_nothing_stored(kind, storage, tmp_path):
    if kind == "s3":
        assert list(storage.bucket.objects.all()) == []
    else:
        assert files_on_disk(tmp_path / "media") == []


def test_names_are_shortened_with_their_extension():
    assert sanitised_name("a" * 300 + ".pdf") == "a" * 196 + ".pdf"
    assert sanitised_name("") == "file"
    assert sanitised_name("bad\tname\x07\r\nSet-Cookie: a.txt") == "bad_name_Set-Cookie_ a.txt"


# --- download links ------------------------------------------------------------------------------


def test_download_links(files_storage, settings):
    """S3: a presigned URL that moto serves; the file system: a gateway link the gateway verifies."""
    kind, storage = files_storage
    page = b"<html><body>hi</body></html>"
    stored = store_upload(SimpleUploadedFile("page.html", page), storage=storage, folder="d")
    url = storage.signed_url(stored.key, filename="page.html", content_type=stored.content_type)
    if kind == "s3":
        assert "X-Amz-Expires=300" in url and "X-Amz-Signature=" in url
        response = httpx.get(url)
        assert response.status_code == 200 and response.content == page
        assert response.headers["content-type"] == "application/octet-stream"
        assert response.headers["content-disposition"] == 'attachment; filename="page.html"'
    else:
        assert url.startswith("/files/")
        link = links.verified_link(url.removeprefix("/files/"))
        assert (link.service, link.name, link.content_type) == ("libstest", stored.key, "application/octet-stream")
        assert link.disposition == 'attachment; filename="page.html"'
        assert 295 <= link.seconds_left() <= 300


def test_a_gateway_link_refuses_tampering_expiry_and_names_outside_the_folder():
    made = links.gateway_link(service="orders", name="orders/ab/cd", content_type="image/png",
                              disposition="inline", lifetime=300).removeprefix("/files/")
    assert links.verified_link(made).name == "orders/ab/cd"
    with pytest.raises(links.LinkRefused) as refused:
        links.verified_link(made, now=time.time() + 301)
    assert refused.value.reason == "expired"
    tampered = made[:-3] + ("AAA" if made[-3:] != "AAA" else "BBB")
    with pytest.raises(links.LinkRefused, match="invalid"):
        links.verified_link(tampered)
    for name in ("../../etc/passwd", "/etc/passwd", "a/../../b"):
        sneaky = links.gateway_link(service="orders", name=name, content_type="text/plain", disposition="attachment",
                                    lifetime=300).removeprefix("/files/")
        with pytest.raises(links.LinkRefused, match="invalid"):
            links.verified_link(sneaky)
