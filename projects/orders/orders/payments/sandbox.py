"""The development payment provider: no network, no money; driven by hand or by tests.

A payment is an id; its outcome is a webhook signed exactly as a real provider would sign it,
sent by ``manage.py sandbox_payment <order id> succeed|fail|refund`` (or ``webhook.signed_body`` in
tests). A refund is recorded at once and confirmed by the same command's ``refund`` webhook.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from . import CreatedPayment, PaymentRequest, RefundOutcome


class SandboxProvider:
    name = "sandbox"

    def create_payment(self, request: PaymentRequest) -> CreatedPayment:
        # Derived from the order id: asking twice for the same order gives the same payment.
        return CreatedPayment(provider=self.name, payment_id=f"sbx_pay_{uuid.uuid5(uuid.NAMESPACE_URL, request.order_id).hex}",
                              status="pending")

    def refund(self, *, payment_id: str, amount: Decimal, currency: str, order_id: str) -> RefundOutcome:
        return RefundOutcome(status="refund_pending")
