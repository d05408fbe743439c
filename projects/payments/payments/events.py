"""The events the payment service publishes: one function per type, each inside the write's transaction."""

from __future__ import annotations

from decimal import Decimal

from marketplace_libs.events.publishing import publish
from marketplace_libs.times import iso_utc

from .models import OrderTerms, Payment, Payout, Refund


def _money(amount: Decimal) -> str:
    return f"{amount:.2f}"


def _payment_card(payment: Payment, terms: OrderTerms) -> dict:
    return {"payment_id": str(payment.pk), "order_id": str(payment.order_id), "buyer_id": str(payment.buyer_id),
            "seller_id": str(terms.seller_id), "amount": _money(payment.amount), "currency": payment.currency}


def payment_succeeded(payment: Payment, terms: OrderTerms) -> None:
    publish("payment.succeeded", {**_payment_card(payment, terms), "provider": payment.provider,
                                  "succeeded_at": iso_utc(payment.succeeded_at)}, aggregate_id=str(payment.order_id))


def payment_failed(payment: Payment, terms: OrderTerms, *, failed_at) -> None:
    publish("payment.failed", {**_payment_card(payment, terms), "provider": payment.provider,
                               "reason": payment.failure_reason[:500], "failed_at": iso_utc(failed_at)},
            aggregate_id=str(payment.order_id))


def payment_refunded(refund: Refund, payment: Payment, terms: OrderTerms) -> None:
    publish("payment.refunded", {
        **_payment_card(payment, terms), "amount": _money(refund.amount),
        "refunded_total": _money(payment.refunded_amount), "payment_amount": _money(payment.amount),
        "refunded_at": iso_utc(refund.succeeded_at),
    }, aggregate_id=str(payment.order_id))


def earnings_cleared(*, order_id, seller_id, amount: Decimal, currency: str, cleared_at) -> None:
    publish("earnings.cleared", {"order_id": str(order_id), "seller_id": str(seller_id), "amount": _money(amount),
                                 "currency": currency, "cleared_at": iso_utc(cleared_at)},
            aggregate_id=str(order_id))


def payout_paid(payout: Payout) -> None:
    publish("payout.paid", {"payout_id": str(payout.pk), "seller_id": str(payout.seller_id),
                            "amount": _money(payout.amount), "currency": payout.currency,
                            "provider": payout.provider, "paid_at": iso_utc(payout.paid_at)},
            aggregate_id=str(payout.seller_id))


def payout_failed(payout: Payout) -> None:
    publish("payout.failed", {"payout_id": str(payout.pk), "seller_id": str(payout.seller_id),
                              "amount": _money(payout.amount), "currency": payout.currency,
                              "provider": payout.provider, "reason": payout.failure_reason[:500],
                              "failed_at": iso_utc(payout.failed_at)},
            aggregate_id=str(payout.seller_id))
