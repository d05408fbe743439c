"""The order service's periodic work (scheduled by its Celery beat: settings.MARKETPLACE_PERIODIC_TASKS)."""

from celery import shared_task

from . import offers, services


@shared_task(name="orders.tasks.auto_complete_delivered_orders")
def auto_complete_delivered_orders() -> int:
    return services.auto_complete_delivered_orders()


@shared_task(name="orders.tasks.expire_offers")
def expire_offers() -> int:
    return offers.expire_offers()
