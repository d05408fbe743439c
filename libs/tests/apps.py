from django.apps import AppConfig


class LibsTestConfig(AppConfig):
    """The stand-in service that the shared libs' tests run as (it has no models)."""

    name = "tests"
    default_auto_field = "django.db.models.BigAutoField"
