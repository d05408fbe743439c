"""The payment provider's webhook: who sent it (HMAC over "<t>.<raw body>"), and what it says.

``X-Payment-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">``, the scheme
Stripe uses: the timestamp is signed with the body, so a captured request cannot be replayed after
the tolerance, and the comparison is constant-time.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from marketplace_libs.errors import InvalidInput

EVENT_TYPES = ("payment.succeeded", "payment.failed", "refund.succeeded")


@dataclass(frozen=True)
class ProviderEvent:
    id: str
    type: str
    payment_id: str
    order_id: str
    amount: Decimal
    currency: str


def signature_header(raw_body: bytes, secret: str, *, at: int | None = None) -> str:
    timestamp = int(time.time()) if at is None else at
    return f"t={timestamp},v1={_digest(raw_body, secret, timestamp)}"


def _digest(raw_body: bytes, secret: str, timestamp: int) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + raw_body, hashlib.sha256).hexdigest()


def verify_signature(raw_body: bytes, header: str | None, *, secret: str, tolerance_seconds: int,
                     now: float | None = None) -> None:
    """InvalidInput unless ``header`` signs ``raw_body`` with ``secret`` within the tolerance."""
    if not header:
        raise InvalidInput("The X-Payment-Signature header is missing.")
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


def parse_event(raw_body: bytes) -> ProviderEvent:
    try:
        body = json.loads(raw_body)
        data = body["data"]
        event = ProviderEvent(id=str(body["id"]), type=str(body["type"]), payment_id=str(data["payment_id"]),
                              order_id=str(data["order_id"]), amount=Decimal(str(data["amount"])),
                              currency=str(data["currency"]))
    except (ValueError, KeyError, TypeError, InvalidOperation):
        raise InvalidInput("The body is not a payment event: {id, type, data: {payment_id, order_id, amount, "
                           "currency}}.") from None
    if event.type not in EVENT_TYPES:
        raise InvalidInput.on("type", f"One of {', '.join(EVENT_TYPES)}.")
    if not event.id or len(event.id) > 100:
        raise InvalidInput.on("id", "The event id is missing or too long.")
    return event


def signed_body(event: dict, secret: str, *, at: int | None = None) -> tuple[bytes, str]:
    """A webhook request as the provider sends it: (raw body, signature header)."""
    raw = json.dumps(event, separators=(",", ":")).encode()
    return raw, signature_header(raw, secret, at=at)
