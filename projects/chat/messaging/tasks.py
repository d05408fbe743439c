"""The chat service's background work: thumbnails of image attachments, off the request path, and the
presence sweep that announces who went offline."""

from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from . import services


@shared_task(name="messaging.tasks.make_file_thumbnail")
def make_file_thumbnail(file_id: str) -> bool:
    return services.make_thumbnail(file_id=file_id)


@shared_task(name="messaging.tasks.make_missing_thumbnails")
def make_missing_thumbnails() -> int:
    """Thumbnails whose task was lost, for the last day's uploads (an image Pillow cannot read is
    tried again only that long)."""
    since = timezone.now() - timedelta(days=1)
    return sum(services.make_thumbnail(file_id=file_id) for file_id in services.files_without_thumbnails(since=since))


@shared_task(name="messaging.tasks.settle_presence")
def settle_presence() -> int:
    """Announce offline the users whose sockets all closed (or expired with a crashed process) longer
    than the grace period ago; how many."""
    return services.settle_presence()
