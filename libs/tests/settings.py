"""A minimal service that exercises the shared libs under test."""

from marketplace_libs.settings import service_settings, with_admin_sso

globals().update(service_settings("libstest", apps=["marketplace_libs.events", "marketplace_libs.idempotency", "tests"], urlconf="tests.urls"))
MIDDLEWARE = with_admin_sso(MIDDLEWARE)  # noqa: F821

# Publishes other services' types (user.registered) to test the outbox and the relay.
MARKETPLACE_EVENTS_STAND_IN = True
