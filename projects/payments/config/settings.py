import environ

from marketplace_libs.config import require_secret
from marketplace_libs.settings import service_settings, with_admin_sso

globals().update(service_settings("payments", apps=[
    "marketplace_libs.events",
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
