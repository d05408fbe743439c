"""The payment service's periodic work (scheduled by its Celery beat: settings.MARKETPLACE_PERIODIC_TASKS)."""

from celery import shared_task

from . import services


@shared_task(name="payments.tasks.release_cleared_earnings")
def release_cleared_earnings() -> int:
    return services.release_cleared_earnings()


@shared_task(name="payments.tasks.pay_pending_payouts")
def pay_pending_payouts() -> int:
    return services.pay_pending_payouts()


@shared_task(name="payments.tasks.send_requested_refunds")
def send_requested_refunds() -> int:
    return services.send_requested_refunds()
