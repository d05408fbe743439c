"""The review service's periodic work (scheduled by its Celery beat: settings.MARKETPLACE_PERIODIC_TASKS)."""

from celery import shared_task

from . import services


@shared_task(name="reviews.tasks.publish_reviews_past_window")
def publish_reviews_past_window() -> int:
    return services.publish_reviews_past_window()
