"""Every write of the notification service: inbox rows, email deliveries, and sending them.

A notification and its email delivery are made in the handler's transaction (with the inbox row of
the event), each keyed by the event id: a redelivered event makes nothing twice. The socket push and
the email task start once that transaction commits; a task lost with a crashed worker is picked up
by the periodic sweep, so no email is dropped.
"""

from __future__ import annotations

import time
from datetime import timedelta

import structlog
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from marketplace_libs.errors import NotFound
from marketplace_libs.insert_once import insert_once
from marketplace_libs.times import iso_utc

from . import kinds, realtime
from .kinds import Draft
from .models import DeliveryStatus, EmailDelivery, Notification, Recipient

log = structlog.get_logger("marketplace.notifications")
IN_TASK_ATTEMPTS = 3


# --- recipients ---------------------------------------------------------------------------------

def record_registration(*, user_id, username: str, email: str) -> None:
    recipient, created = Recipient.objects.get_or_create(user_id=user_id,
                                                         defaults={"username": username, "email": email})
    if not created:
        Recipient.objects.filter(pk=user_id).update(username=username, email=email)


def record_preferences(*, user_id, revision: int, **preferences) -> None:
    """``user.preferences_updated``: the newest wishes win (an older revision arriving late changes nothing)."""
    recipient, _ = Recipient.objects.get_or_create(user_id=user_id, defaults={"username": ""})
    fields = {name: preferences[name] for name in ("email_notifications", "message_emails", "language")}
    Recipient.objects.filter(pk=user_id, preferences_revision__lt=revision).update(
        preferences_revision=revision, **fields)


# --- notifications ------------------------------------------------------------------------------

def notify(*, event_id, drafts: list[Draft]) -> None:
    for draft in drafts:
        notification = Notification(
            source_event_id=event_id, user_id=draft.user_id, kind=draft.kind, title=draft.title, body=draft.body,
            data={**draft.data, "link": draft.link, "resource": kinds.resource(draft.kind, draft.data)})
        if insert_once(notification, unique_fields=("source_event_id", "user_id", "kind")):
            payload = notification_payload(notification)
            transaction.on_commit(lambda user_id=draft.user_id, payload=payload: realtime.push(user_id, payload))
        recipient = Recipient.objects.filter(pk=draft.user_id).first()
        if recipient is None or not recipient.email:
            log.warning("email_without_address", user_id=draft.user_id, kind=draft.kind)
            continue
        wanted = getattr(recipient, draft.email_preference)
        queue_email(event_id=event_id, user_id=draft.user_id, to_address=recipient.email, kind=draft.kind,
                    # The notification's own title and body last: a kind's data may carry a "title" of its own
                    # (the gig's), which must not become the email's subject.
                    context={**draft.data, "username": recipient.username, "title": draft.title, "body": draft.body,
                             "link": draft.link},
                    skip_reason=None if wanted else f"{draft.email_preference} is off")


def queue_email(*, event_id, user_id, to_address: str, kind: str, context: dict, skip_reason: str | None = None
                ) -> None:
    """One delivery per event, address and kind: an event told twice queues nothing twice."""
    delivery = EmailDelivery(source_event_id=event_id, to_address=to_address, kind=kind, user_id=user_id,
                             context=context, status=DeliveryStatus.SKIPPED if skip_reason else DeliveryStatus.PENDING,
                             reason=skip_reason or "")
    if insert_once(delivery, unique_fields=("source_event_id", "to_address", "kind")) and not skip_reason:
        transaction.on_commit(lambda: _enqueue(delivery.pk))


def _enqueue(delivery_id) -> None:
    from .tasks import send_email

    try:
        send_email.delay(str(delivery_id))
    except Exception as error:  # noqa: BLE001 - the broker is away: the sweep sends it later
        log.warning("email_task_not_queued", delivery_id=str(delivery_id), error=repr(error))


def notification_payload(notification: Notification) -> dict:
    return {"id": str(notification.id), "kind": notification.kind, "title": notification.title,
            "body": notification.body, "data": notification.data,
            "read_at": iso_utc(notification.read_at) if notification.read_at else None,
            "created_at": iso_utc(notification.created_at)}


def mark_read(*, user_id, notification_id) -> None:
    """404 for someone else's notification, as for an unknown one."""
    if not Notification.objects.filter(pk=notification_id, user_id=user_id).exists():
        raise NotFound("No such notification.")
    Notification.objects.filter(pk=notification_id, read_at__isnull=True).update(read_at=timezone.now())


def mark_all_read(*, user_id) -> int:
    return Notification.objects.filter(user_id=user_id, read_at__isnull=True).update(read_at=timezone.now())


# --- sending emails -----------------------------------------------------------------------------

def send_delivery(delivery_id) -> str:
    """Send one pending email, retrying a few times with backoff; "sent", "not_pending" or "pending"
    (still failing: the sweep tries again later, until EMAIL_MAX_ATTEMPTS)."""
    for attempt in range(IN_TASK_ATTEMPTS):
        with transaction.atomic():
            # Locked while it is sent: the sweep and a duplicate task cannot send it a second time.
            delivery = EmailDelivery.objects.select_for_update(skip_locked=True).filter(
                pk=delivery_id, status=DeliveryStatus.PENDING).first()
            if delivery is None:
                return "not_pending"
            delivery.attempts += 1
            try:
                _send(delivery)
            except Exception as error:  # noqa: BLE001 - SMTP and network errors of every kind
                delivery.last_error = f"{type(error).__name__}: {error}"[:2000]
                if delivery.attempts >= settings.EMAIL_MAX_ATTEMPTS:
                    delivery.status = DeliveryStatus.FAILED
                delivery.save(update_fields=["attempts", "last_error", "status"])
                log.warning("email_send_failed", delivery_id=str(delivery_id), attempts=delivery.attempts,
                            error=delivery.last_error)
                if delivery.status == DeliveryStatus.FAILED:
                    return "failed"
            else:
                delivery.status, delivery.sent_at, delivery.last_error = DeliveryStatus.SENT, timezone.now(), ""
                delivery.save(update_fields=["attempts", "status", "sent_at", "last_error"])
                log.info("email_sent", delivery_id=str(delivery_id), kind=delivery.kind)
                return "sent"
        time.sleep(2 ** attempt)
    return "pending"


def _send(delivery: EmailDelivery) -> None:
    context = {**delivery.context, "public_url": settings.MARKETPLACE_PUBLIC_URL}
    text = render_to_string(f"inbox/email/{_template(delivery.kind)}.txt", context)
    html = render_to_string(f"inbox/email/{_template(delivery.kind)}.html", context)
    message = EmailMultiAlternatives(subject=context["title"], body=text, to=[delivery.to_address],
                                     headers={"X-Marketplace-Kind": delivery.kind})
    message.attach_alternative(html, "text/html")
    message.send()


def _template(kind: str) -> str:
    return kind.replace(".", "_")


def pending_deliveries_to_retry(*, now=None) -> list:
    now = now or timezone.now()
    return list(EmailDelivery.objects.filter(
        status=DeliveryStatus.PENDING, created_at__lte=now - timedelta(seconds=settings.EMAIL_SWEEP_AFTER_SECONDS),
    ).order_by("created_at").values_list("pk", flat=True)[:500])


def resend(*, delivery_id) -> None:
    """Staff: send it again (a bounced address was fixed, a failure was transient)."""
    with transaction.atomic():
        EmailDelivery.objects.filter(pk=delivery_id).update(status=DeliveryStatus.PENDING, attempts=0, reason="",
                                                            last_error="")
        transaction.on_commit(lambda: _enqueue(delivery_id))
