"""A minimal service that exercises the shared libs under test."""

from marketplace_libs.settings import service_settings

globals().update(service_settings("libstest", apps=["marketplace_libs.events", "tests"], urlconf="tests.urls"))
MIDDLEWARE.insert(  # noqa: F821
    MIDDLEWARE.index("django.contrib.messages.middleware.MessageMiddleware"),  # noqa: F821
    "marketplace_libs.admin_sso.AdminSingleSignOnMiddleware",
)

# Publishes other services' types (user.registered) to test the outbox and the relay.
MARKETPLACE_EVENTS_STAND_IN = True
