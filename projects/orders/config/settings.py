import environ

from marketplace_libs.config import require_secret
from marketplace_libs.settings import service_settings, with_admin_sso

globals().update(service_settings("orders", apps=[
    "marketplace_libs.events",
    "orders",
]))

MIDDLEWARE = with_admin_sso(MIDDLEWARE)  # noqa: F821

_env = environ.Env()

DEVELOPMENT_PAYMENT_WEBHOOK_SECRET = "whsec_development_only_0f3c9a"
PAYMENT_WEBHOOK_SECRET = require_secret("MARKETPLACE_PAYMENT_WEBHOOK_SECRET", DEVELOPMENT_PAYMENT_WEBHOOK_SECRET)
PAYMENT_WEBHOOK_TOLERANCE_SECONDS = 300
PAYMENT_PROVIDER = _env.str("MARKETPLACE_PAYMENT_PROVIDER", default="orders.payments.sandbox.SandboxProvider")

# A delivered order the buyer leaves alone completes by itself after this many days.
ORDER_AUTOCOMPLETE_DAYS = _env.float("MARKETPLACE_ORDER_AUTOCOMPLETE_DAYS", default=3)
# Periodic work, run by the service's Celery beat (manage_all.py up starts it).
MARKETPLACE_PERIODIC_TASKS = {
    "auto-complete-delivered-orders": {
        "task": "orders.tasks.auto_complete_delivered_orders",
        "every_seconds": _env.int("MARKETPLACE_ORDER_AUTOCOMPLETE_CHECK_SECONDS", default=300),
    },
}
