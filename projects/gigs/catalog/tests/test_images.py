"""Gig images on the files storage (the file system and S3 through moto): signed links, thumbnails
made by the worker's task, and the migration that moves images stored before."""

import io
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from django.apps import apps
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from catalog import services, tasks
from catalog.models import GigImage
from marketplace_libs.files import links

from .conftest import GIGS, create_gig, image_bytes


def upload_image(seller, gig_id, size=(1200, 900)) -> dict:
    response = seller.client.post(f"{GIGS}/{gig_id}/images/",
                                  {"image": SimpleUploadedFile("p.png", image_bytes(size=size), "image/png")},
                                  format="multipart")
    assert response.status_code == 201, response.content
    return response.json()


def fetched(kind: str, url: str) -> bytes:
    """The bytes behind a link: S3's presigned URL from moto itself; a gateway link as the gateway would
    resolve it (the whole route through nginx is in tests/e2e)."""
    if kind == "s3":
        response = httpx.get(url)
        assert response.status_code == 200
        return response.content
    link = links.verified_link(urlsplit(url).path.removeprefix("/files/"))
    from django.conf import settings
    return (Path(settings.STORAGES["files"]["OPTIONS"]["location"]).parent / link.service / link.name).read_bytes()


def test_an_image_is_stored_on_the_files_storage_and_shown_by_a_signed_link(caller, files_storage):
    kind, storage = files_storage
    seller = caller()
    gig = create_gig(seller)
    image = upload_image(seller, gig["id"])
    assert image["thumbnail_url"] is None
    url = seller.client.get(f"{GIGS}/{gig['id']}/").json()["images"][0]["url"]
    if kind == "s3":
        assert "X-Amz-Expires=300" in url and "X-Amz-Signature=" in url
    else:
        assert urlsplit(url).path.startswith("/files/") and "/media/" not in url
    with Image.open(io.BytesIO(fetched(kind, url))) as stored:
        assert stored.format == "PNG" and max(stored.size) == 1200


def test_the_worker_makes_the_thumbnail_once(caller, files_storage):
    kind, storage = files_storage
    seller = caller()
    gig = create_gig(seller)
    image = upload_image(seller, gig["id"])
    assert tasks.make_image_thumbnail(image["id"]) is True
    assert tasks.make_image_thumbnail(image["id"]) is False  # a second delivery of the task: nothing new
    shown = seller.client.get(f"{GIGS}/{gig['id']}/").json()["images"][0]
    with Image.open(io.BytesIO(fetched(kind, shown["thumbnail_url"]))) as thumbnail:
        assert thumbnail.format == "WEBP" and max(thumbnail.size) == 480


def test_the_sweep_makes_thumbnails_whose_task_was_lost(caller, files_storage):
    seller = caller()
    gig = create_gig(seller)
    ids = {upload_image(seller, gig["id"], size=(300, 300))["id"] for _ in range(2)}
    assert tasks.make_missing_thumbnails() == 2
    assert tasks.make_missing_thumbnails() == 0
    assert all(GigImage.objects.get(pk=image_id).thumbnail for image_id in ids)


def test_deleting_an_image_removes_its_files(caller, files_storage, django_capture_on_commit_callbacks):
    kind, storage = files_storage
    seller = caller()
    gig = create_gig(seller)
    image = upload_image(seller, gig["id"])
    services.make_thumbnail(image_id=image["id"])
    stored = GigImage.objects.get(pk=image["id"])
    names = [stored.file.name, stored.thumbnail.name]
    assert all(storage.exists(name) for name in names)
    with django_capture_on_commit_callbacks(execute=True):
        assert seller.client.delete(f"{GIGS}/{gig['id']}/images/{image['id']}/").status_code == 204
    assert not any(storage.exists(name) for name in names)


def test_the_migration_copies_images_stored_before_onto_the_storage(caller, files_storage, settings, tmp_path):
    """An image saved under MEDIA_ROOT before 0006 (the public /media/gigs/ folder) is copied under its
    name; running it again copies nothing; an image whose file is gone is left as it is."""
    kind, storage = files_storage
    seller = caller()
    gig = create_gig(seller)
    legacy = FileSystemStorage(location=settings.MEDIA_ROOT)
    old_bytes = image_bytes(size=(640, 480))
    name = legacy.save(f"gigs/{gig['id']}/old.png", io.BytesIO(old_bytes))
    old = GigImage.objects.create(gig_id=gig["id"], file=name)
    lost = GigImage.objects.create(gig_id=gig["id"], file=f"gigs/{gig['id']}/gone.png", position=1)
    assert not storage.exists(name)

    migration = __import__("catalog.migrations.0006_gig_images_on_the_files_storage",
                           fromlist=["copy_images_to_the_files_storage"])
    migration.copy_images_to_the_files_storage(apps, None)

    with storage.open(name, "rb") as copied:
        assert copied.read() == old_bytes
    assert GigImage.objects.get(pk=old.pk).file.name == name
    assert not storage.exists(lost.file.name)
    from catalog.storage_moves import copy_legacy_images
    assert copy_legacy_images(GigImage) == 0
    # The page shows it through the storage's link, no longer a /media/ path.
    url = seller.client.get(f"{GIGS}/{gig['id']}/").json()["images"][0]["url"]
    assert "/media/" not in url and fetched(kind, url) == old_bytes


def test_a_picture_that_pillow_cannot_read_gets_no_thumbnail(caller, files_storage):
    kind, storage = files_storage
    seller = caller()
    gig = create_gig(seller)
    name = storage.save(f"gigs/{gig['id']}/broken.png", io.BytesIO(b"\x89PNG\r\n\x1a\nbroken"))
    image = GigImage.objects.create(gig_id=gig["id"], file=name)
    assert services.make_thumbnail(image_id=image.pk) is False
    assert not GigImage.objects.get(pk=image.pk).thumbnail


def test_the_upload_queues_its_thumbnail_on_the_services_own_tasks_queue():
    """A web process sends the task through the service's app (config.celery), not Celery's default app."""
    from marketplace_libs.events.celery_app import service_app

    app = service_app()
    assert app.main == "gigs" and app.conf.task_default_queue == "gigs.tasks"
    assert app.conf.broker_url.startswith("amqp://") or app.conf.broker_url.startswith("filesystem://")
    assert "catalog.tasks.make_image_thumbnail" in app.tasks
