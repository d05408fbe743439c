"""A minimal service that exercises the shared libs under test."""

from marketplace_libs.settings import service_settings, with_admin_sso

globals().update(service_settings("libstest", apps=["marketplace_libs.events", "tests"], urlconf="tests.urls"))
MIDDLEWARE = with_admin_sso(MIDDLEWARE)  # noqa: F821
