import environ
from django.core.exceptions import ImproperlyConfigured

from marketplace_libs.settings import service_settings, with_admin_sso

globals().update(service_settings("reviews", apps=[
    "marketplace_libs.events",
    "reviews",
]))

MIDDLEWARE = with_admin_sso(MIDDLEWARE)  # noqa: F821

_env = environ.Env()

# Both parties of a completed order may review it for this many days; a review still hidden then (the other
# party never wrote theirs) is published when the window closes.
REVIEW_WINDOW_DAYS = _env.float("MARKETPLACE_REVIEW_WINDOW_DAYS", default=10)
if REVIEW_WINDOW_DAYS <= 0:
    raise ImproperlyConfigured("MARKETPLACE_REVIEW_WINDOW_DAYS must be a positive number of days.")
# Periodic work, run by the service's Celery beat (manage_all.py up starts it).
MARKETPLACE_PERIODIC_TASKS = {
    "publish-reviews-past-window": {
        "task": "reviews.tasks.publish_reviews_past_window",
        "every_seconds": _env.int("MARKETPLACE_REVIEWS_SCHEDULER_SECONDS", default=60),
    },
}
