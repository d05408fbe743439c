"""Payments behind one interface, so the sandbox and a real provider (Stripe) are interchangeable.

A provider creates a payment for an order and refunds one; it reports outcomes later, through
the signed webhook (``webhook.py``). ``settings.PAYMENT_PROVIDER`` names the class.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class PaymentRequest:
    order_id: str
    amount: Decimal
    currency: str
    description: str


@dataclass(frozen=True)
class CreatedPayment:
    provider: str
    payment_id: str
    status: str  # "pending": the outcome arrives by webhook


@dataclass(frozen=True)
class RefundOutcome:
    status: str  # "refund_pending" (confirmed later by a refund.succeeded webhook) or "refunded"


class PaymentProvider(Protocol):
    name: str

    def create_payment(self, request: PaymentRequest) -> CreatedPayment:
        """Open a payment for an order; ``request.order_id`` is the idempotency key."""

    def refund(self, *, payment_id: str, amount: Decimal, currency: str, order_id: str) -> RefundOutcome:
        """Give the buyer their money back; idempotent per payment."""


class PaymentProviderError(Exception):
    """The provider could not be reached or refused; nothing was charged or refunded."""


@cache
def provider() -> PaymentProvider:
    return import_string(settings.PAYMENT_PROVIDER)()
