import environ

from marketplace_libs.config import require_secret
from marketplace_libs.settings import service_settings, with_admin_sso

globals().update(service_settings("payments", apps=[
    "marketplace_libs.events",
    "marketplace_libs.idempotency",
    "payments",
]))

MIDDLEWARE = with_admin_sso(MIDDLEWARE)  # noqa: F821

_env = environ.Env()

# The embedded default provider; its webhooks are signed with this secret (refused in production).
DEVELOPMENT_PAYMENT_WEBHOOK_SECRET = "whsec_development_only_0f3c9a"
PAYMENT_WEBHOOK_SECRET = require_secret("MARKETPLACE_PAYMENT_WEBHOOK_SECRET", DEVELOPMENT_PAYMENT_WEBHOOK_SECRET)
PAYMENT_WEBHOOK_TOLERANCE_SECONDS = 300
PAYMENT_PROVIDER = _env.str("MARKETPLACE_PAYMENT_PROVIDER", default="sandbox")
STRIPE_API_KEY = _env.str("MARKETPLACE_STRIPE_API_KEY", default="")
STRIPE_API_BASE = _env.str("MARKETPLACE_STRIPE_API_BASE", default="")
STRIPE_WEBHOOK_SECRET = _env.str("MARKETPLACE_STRIPE_WEBHOOK_SECRET", default="")
# A payment keeps its provider for life, so every known provider's webhooks are always accepted; these
# are the providers a *new* checkout may choose (the first is not special: PAYMENT_PROVIDER is the default).
PAYMENT_PROVIDERS = _env.list("MARKETPLACE_PAYMENT_PROVIDERS", default=[PAYMENT_PROVIDER])

# A completed order's earnings become available this many days after completion (0: at once).
CLEARANCE_DAYS = _env.float("MARKETPLACE_CLEARANCE_DAYS", default=7)
# The smallest payout a seller may ask for, in the payout's currency.
PAYOUT_MINIMUM = _env.str("MARKETPLACE_PAYOUT_MINIMUM", default="20.00")

# Periodic work, run by the service's Celery beat (manage_all.py up starts it).
_SCHEDULER_SECONDS = _env.int("MARKETPLACE_PAYMENTS_SCHEDULER_SECONDS", default=30)
MARKETPLACE_PERIODIC_TASKS = {
    "release-cleared-earnings": {"task": "payments.tasks.release_cleared_earnings",
                                 "every_seconds": _SCHEDULER_SECONDS},
    "pay-pending-payouts": {"task": "payments.tasks.pay_pending_payouts", "every_seconds": _SCHEDULER_SECONDS},
    "send-requested-refunds": {"task": "payments.tasks.send_requested_refunds", "every_seconds": _SCHEDULER_SECONDS},
    "purge-expired-idempotency-keys": {"task": "marketplace_libs.idempotency.tasks.purge_expired_keys",
                                       "every_seconds": 3600},
}
