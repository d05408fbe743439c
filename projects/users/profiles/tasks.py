"""The user service's periodic work (scheduled by its Celery beat: settings.MARKETPLACE_PERIODIC_TASKS)."""

from celery import shared_task

from . import trust_services


@shared_task(name="profiles.tasks.recompute_trust_signals")
def recompute_trust_signals() -> int:
    return trust_services.recompute_all()
