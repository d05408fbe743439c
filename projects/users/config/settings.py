import environ

from marketplace_libs.settings import service_settings, with_admin_sso
from profiles.levels import level_thresholds_from_env

globals().update(service_settings("users", apps=[
    "marketplace_libs.events",
    "profiles",
]))

# PATCH me takes JSON, or a multipart form when it carries an avatar.
REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"] = [  # noqa: F821
    "rest_framework.parsers.JSONParser",
    "rest_framework.parsers.MultiPartParser",
]

# Staff sign in once at the auth service's admin; this admin trusts its cookie.
MIDDLEWARE = with_admin_sso(MIDDLEWARE)  # noqa: F821

_env = environ.Env()

# Seller levels: a seller holds the highest level whose every threshold they meet (docs/trust-signals.md,
# which explains each; each can be set by MARKETPLACE_<LEVEL>_<THRESHOLD>, e.g. MARKETPLACE_LEVEL_ONE_MIN_ORDERS).
SELLER_LEVELS = level_thresholds_from_env(_env)
# A seller's response time is the median over conversations opened within this many days.
RESPONSE_TIME_WINDOW_DAYS = _env.int("MARKETPLACE_RESPONSE_TIME_WINDOW_DAYS", default=30)

MARKETPLACE_PERIODIC_TASKS = {
    # Rebuilds every seller's counts, response time and level from the facts: what time alone changes (account
    # age, the response-time window) and a check on the incremental updates.
    "recompute-trust-signals": {"task": "profiles.tasks.recompute_trust_signals",
                                "every_seconds": _env.int("MARKETPLACE_TRUST_RECOMPUTE_SECONDS", default=86400)},
}
