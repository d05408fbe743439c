"""The notification service's background work (its worker's thread pool and its beat)."""

from celery import shared_task

from . import services


@shared_task(name="inbox.tasks.send_email", acks_late=True)
def send_email(delivery_id: str) -> str:
    return services.send_delivery(delivery_id)


@shared_task(name="inbox.tasks.send_pending_emails")
def send_pending_emails() -> int:
    """Queue again what is still pending a minute on: tasks lost with a worker, or still failing."""
    pending = services.pending_deliveries_to_retry()
    for delivery_id in pending:
        send_email.delay(str(delivery_id))
    return len(pending)
