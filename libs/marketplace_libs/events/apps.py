from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class EventsConfig(AppConfig):
    name = "marketplace_libs.events"
    label = "events"
    verbose_name = "Events"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Each app declares its subscriptions in <app>/handlers.py with @handles(...).
        autodiscover_modules("handlers")
