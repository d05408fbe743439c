import environ

from marketplace_libs.review_window import review_window_days
from marketplace_libs.settings import service_settings, with_admin_sso

globals().update(service_settings("reviews", apps=[
    "marketplace_libs.events",
    "reviews",
]))

MIDDLEWARE = with_admin_sso(MIDDLEWARE)  # noqa: F821

_env = environ.Env()

# Both parties of a completed order may review it for this many days; a review still hidden then (the other
# party never wrote theirs) is published when the window closes.
REVIEW_WINDOW_DAYS = review_window_days(_env)
# Periodic work, run by the service's Celery beat (manage_all.py up starts it).
MARKETPLACE_PERIODIC_TASKS = {
    "publish-reviews-past-window": {
        "task": "reviews.tasks.publish_reviews_past_window",
        "every_seconds": _env.int("MARKETPLACE_REVIEWS_SCHEDULER_SECONDS", default=60),
    },
}
