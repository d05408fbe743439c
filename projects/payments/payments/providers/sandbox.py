"""The embedded development provider: no network, no money, deterministic answers.

- A checkout's intent is our payment id itself (``reference``); its outcome arrives as a webhook signed
  exactly as a real provider would sign it (``signed_webhook``; ``manage.py sandbox_webhook`` sends one).
- A refund succeeds at once.
- A transfer (payout) is paid at once, except one whose amount ends in ``.13`` cents: that one fails,
  so tests and demos can see a failed payout ("13" for bad luck).
- Every answer is derived from the idempotency key, so the same key gives the same answer.

Webhook: ``X-Payment-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`` with
``settings.PAYMENT_WEBHOOK_SECRET``, refused over ``PAYMENT_WEBHOOK_TOLERANCE_SECONDS`` (300) old: the
scheme Stripe uses, where the signed timestamp stops a captured request from being replayed later.
Body: ``{id, type: payment.succeeded|payment.failed|refund.succeeded, data: {payment_id, order_id,
amount, currency, reason?}}``; for ``refund.succeeded`` the amount is the payment's refunded total so far,
as Stripe's ``charge.refunded`` tells it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from decimal import Decimal, InvalidOperation

from django.conf import settings

from marketplace_libs.errors import InvalidInput

from . import Intent, Refund, Transfer, WebhookEvent

SIGNATURE_HEADER = "X-Payment-Signature"
EVENT_TYPES = ("payment.succeeded", "payment.failed", "refund.succeeded")
FAILING_PAYOUT_CENTS = "13"
FAILED_PAYOUT_REASON = "The sandbox refuses payouts whose amount ends in .13 (its documented failure trigger)."


def _reference(prefix: str, idempotency_key: str) -> str:
    return f"{prefix}_{uuid.uuid5(uuid.NAMESPACE_URL, idempotency_key).hex}"


class SandboxProvider:
    name = "sandbox"

    def create_intent(self, *, payment_id: str, order_id: str, amount: Decimal, currency: str,
                      description: str, idempotency_key: str) -> Intent:
        return Intent(reference=str(payment_id), client_secret=f"sbx_secret_{uuid.uuid4().hex}")

    def refund(self, *, payment_reference: str, amount: Decimal, currency: str, idempotency_key: str) -> Refund:
        return Refund(reference=_reference("sbx_re", idempotency_key), status="succeeded")

    def transfer(self, *, payout_id: str, seller_id: str, amount: Decimal, currency: str,
                 idempotency_key: str) -> Transfer:
        reference = _reference("sbx_tr", idempotency_key)
        if f"{amount:.2f}".endswith(f".{FAILING_PAYOUT_CENTS}"):
            return Transfer(reference=reference, status="failed", failure_reason=FAILED_PAYOUT_REASON)
        return Transfer(reference=reference, status="paid")

    def verify_webhook(self, *, body: bytes, headers) -> WebhookEvent:
        verify_signature(body, headers.get(SIGNATURE_HEADER), secret=settings.PAYMENT_WEBHOOK_SECRET,
                         tolerance_seconds=settings.PAYMENT_WEBHOOK_TOLERANCE_SECONDS)
        return parse_event(body)


def verify_signature(raw_body: bytes, header: str | None, *, secret: str, tolerance_seconds: int,
                     now: float | None = None) -> None:
    """InvalidInput unless ``header`` signs ``raw_body`` with ``secret`` within the tolerance."""
    if not header:
        raise InvalidInput(f"The {SIGNATURE_HEADER} header is missing.")
    parts: dict[str, list[str]] = {}
    for item in header.split(","):
        key, _, value = item.strip().partition("=")
        parts.setdefault(key, []).append(value)
    try:
        timestamp = int(parts["t"][0])
    except (KeyError, ValueError):
        raise InvalidInput("The signature has no valid timestamp.") from None
    now = time.time() if now is None else now
    if abs(now - timestamp) > tolerance_seconds:
        raise InvalidInput("The signature is too old (or from the future): refused as a possible replay.")
    expected = _digest(raw_body, secret, timestamp)
    if not any(hmac.compare_digest(expected, candidate) for candidate in parts.get("v1", [])):
        raise InvalidInput("The signature does not match the body.")


def parse_event(raw_body: bytes) -> WebhookEvent:
    try:
        body = json.loads(raw_body)
        data = body["data"]
        amount = Decimal(str(data["amount"]))
        event = WebhookEvent(id=str(body["id"]), type=str(body["type"]), payment_reference=str(data["payment_id"]),
                             amount=amount, currency=str(data["currency"]), reason=str(data.get("reason", "")))
    except (ValueError, KeyError, TypeError, InvalidOperation):
        raise InvalidInput("The body is not a payment event: {id, type, data: {payment_id, order_id, amount, "
                           "currency}}.") from None
    if event.type not in EVENT_TYPES:
        raise InvalidInput.on("type", f"One of {', '.join(EVENT_TYPES)}.")
    if not event.id or len(event.id) > 100:
        raise InvalidInput.on("id", "The event id is missing or too long.")
    if not amount.is_finite():
        raise InvalidInput.on("data", "The amount is not a number.")
    return event


def _digest(raw_body: bytes, secret: str, timestamp: int) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + raw_body, hashlib.sha256).hexdigest()


def signature_header(raw_body: bytes, secret: str | None = None, *, at: int | None = None) -> str:
    timestamp = int(time.time()) if at is None else at
    return f"t={timestamp},v1={_digest(raw_body, secret or settings.PAYMENT_WEBHOOK_SECRET, timestamp)}"


def signed_webhook(*, event_type: str, payment_id: str, order_id: str, amount: str, currency: str,
                   event_id: str | None = None, reason: str = "", secret: str | None = None,
                   at: int | None = None) -> tuple[bytes, str]:
    """A sandbox webhook as the provider sends it: (raw body, X-Payment-Signature value). For tests,
    the end-to-end suite and the seed."""
    data = {"payment_id": str(payment_id), "order_id": str(order_id), "amount": amount, "currency": currency}
    if reason:
        data["reason"] = reason
    raw = json.dumps({"id": event_id or f"evt_{uuid.uuid4().hex}", "type": event_type, "data": data},
                     separators=(",", ":")).encode()
    return raw, signature_header(raw, secret, at=at)
