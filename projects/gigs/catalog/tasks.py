"""The gig service's background work (its Celery worker, and the beat: settings.MARKETPLACE_PERIODIC_TASKS)."""

from celery import shared_task

from . import services


@shared_task(name="catalog.tasks.make_image_thumbnail")
def make_image_thumbnail(image_id: str) -> bool:
    return services.make_thumbnail(image_id=image_id)


@shared_task(name="catalog.tasks.make_missing_thumbnails")
def make_missing_thumbnails() -> int:
    """Thumbnails whose task was lost (the broker was away at upload, a worker died): made here."""
    return sum(services.make_thumbnail(image_id=image_id) for image_id in services.images_without_thumbnails())
