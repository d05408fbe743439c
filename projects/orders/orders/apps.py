import structlog
from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "orders"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.conf import settings

        if settings.PAYMENT_WEBHOOK_SECRET == settings.DEVELOPMENT_PAYMENT_WEBHOOK_SECRET:
            # Printed so a developer can sign sandbox webhooks by hand; production refuses this default.
            structlog.get_logger("marketplace.orders").warning(
                "development_payment_webhook_secret", development_value=settings.PAYMENT_WEBHOOK_SECRET,
                detail="set MARKETPLACE_PAYMENT_WEBHOOK_SECRET; production refuses this default")
