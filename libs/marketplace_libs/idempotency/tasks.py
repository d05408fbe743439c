"""The periodic purge of expired keys, for the services that take ``Idempotency-Key`` to schedule."""

from celery import shared_task

from . import purge_expired


@shared_task(name="marketplace_libs.idempotency.tasks.purge_expired_keys")
def purge_expired_keys() -> int:
    return purge_expired()
