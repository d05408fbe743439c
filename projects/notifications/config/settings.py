import environ

from marketplace_libs.settings import service_settings, with_admin_sso

globals().update(service_settings("notifications", apps=[
    "channels",
    "marketplace_libs.events",
    "inbox",
]))

MIDDLEWARE = with_admin_sso(MIDDLEWARE)  # noqa: F821

_env = environ.Env()
EMAIL_TIMEOUT = 10
EMAIL_MAX_ATTEMPTS = _env.int("MARKETPLACE_EMAIL_MAX_ATTEMPTS", default=6)
# Deliveries still pending this long after they were made (their task lost with a crashed worker)
# are queued again by the periodic sweep.
EMAIL_SWEEP_AFTER_SECONDS = 60
MARKETPLACE_PERIODIC_TASKS = {
    "send-pending-emails": {"task": "inbox.tasks.send_pending_emails", "every_seconds": 60},
}
