"""A dispute's money: the orders admin's three outcomes reach this service as order.cancelled (refund_buyer),
order.completed (release_to_seller) and order.completed with ``refund_amount`` (partial_refund)."""

from decimal import Decimal

import pytest

from marketplace_libs.testing import deliver, event, published
from payments import services
from payments.models import LedgerEntry, LedgerTransaction, Payment, Refund
from payments.providers import Refund as ProviderRefund
from payments.providers import ProviderUnavailable
from payments.providers.sandbox import SandboxProvider
from payments.reconcile import reconcile

from .conftest import order_event, webhook

RESOLVED_AT = "2026-05-20T09:00:00Z"
EVENT_ID = "3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f"


def resolved_with_partial_refund(order, amount: str, *, event_id: str = EVENT_ID):
    return event("order.completed", order_event(order, "order.completed", completed_at=RESOLVED_AT, by="staff",
                                                refund_amount=amount), event_id=event_id)


def _entries(kind: str) -> set:
    return {(e.account, e.amount) for e in LedgerEntry.objects.filter(transaction__kind=kind)}


@pytest.mark.parametrize("refund, seller, platform", [
    ("50.00", "70.00", "38.25"),  # out of the seller's 120.00 first
    ("130.00", None, "28.25"),  # beyond the seller's share: the rest out of the platform's 38.25
])
def test_a_partial_refund_goes_back_then_the_rest_of_escrow_is_earned(paid, refund, seller, platform):
    order, payment = paid()  # total 158.25: price 150.00 + fee 8.25; the seller earns 120.00
    deliver(resolved_with_partial_refund(order, refund))
    assert _entries("refund") == {("escrow", -Decimal(refund)), ("buyer", Decimal(refund))}
    expected = {("escrow", -(Decimal("158.25") - Decimal(refund))), ("platform_fees", Decimal(platform))}
    if seller:
        expected.add(("seller_pending", Decimal(seller)))
    assert _entries("earning") == expected
    assert Payment.objects.get(pk=payment["id"]).status == "partially_refunded"
    [refunded] = published("payment.refunded")
    assert (refunded["amount"], refunded["refunded_total"]) == (refund, refund)
    escrow = sum(LedgerEntry.objects.filter(account="escrow").values_list("amount", flat=True))
    assert escrow == 0
    assert reconcile().ok


def test_the_same_resolution_again_refunds_and_earns_once(paid):
    order, _ = paid()
    deliver(resolved_with_partial_refund(order, "40.00"))
    deliver(resolved_with_partial_refund(order, "40.00", event_id="9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a"))
    assert Refund.objects.count() == 1 and LedgerTransaction.objects.filter(kind="earning").count() == 1
    assert len(published("payment.refunded")) == 1
    assert reconcile().ok


def test_a_provider_down_during_the_refund_keeps_nothing_and_the_retry_does_it_all(paid, monkeypatch):
    order, payment = paid()

    def unreachable(self, **_):
        raise ProviderUnavailable("connection refused")

    monkeypatch.setattr(SandboxProvider, "refund", unreachable)
    with pytest.raises(services.ProviderDown):
        deliver(resolved_with_partial_refund(order, "40.00"))
    assert not Refund.objects.exists() and not LedgerTransaction.objects.exclude(kind="payment").exists()
    monkeypatch.undo()
    deliver(resolved_with_partial_refund(order, "40.00"))  # the consumer's retry
    assert Payment.objects.get(pk=payment["id"]).refunded_amount == Decimal("40.00")
    assert ("seller_pending", Decimal("80.00")) in _entries("earning")
    assert reconcile().ok


def test_a_refund_the_provider_confirms_later_is_still_left_in_escrow_for_it(paid, api_client, monkeypatch):
    order, payment = paid()
    monkeypatch.setattr(SandboxProvider, "refund",
                        lambda self, idempotency_key, **_: ProviderRefund(reference=idempotency_key, status="pending"))
    deliver(resolved_with_partial_refund(order, "50.00"))
    # The earning leaves the pending refund's 50.00 in escrow, and the seller's share is already reduced.
    assert _entries("earning") == {("escrow", Decimal("-108.25")), ("seller_pending", Decimal("70.00")),
                                   ("platform_fees", Decimal("38.25"))}
    assert webhook(api_client, "refund.succeeded", payment, amount="50.00").json()["outcome"] == "applied"
    assert sum(LedgerEntry.objects.filter(account="escrow").values_list("amount", flat=True)) == 0
    assert reconcile().ok


def test_release_to_seller_earns_everything_and_refund_buyer_refunds_everything(paid):
    released, _ = paid()
    deliver(event("order.completed", order_event(released, "order.completed", completed_at=RESOLVED_AT,
                                                 by="staff")))
    refunded, payment = paid()
    deliver(event("order.cancelled", order_event(refunded, "order.cancelled", cancelled_at=RESOLVED_AT, by="staff",
                                                 reason="Dispute resolved by staff", refunded=True)))
    assert _entries("earning") == {("escrow", Decimal("-158.25")), ("seller_pending", Decimal("120.00")),
                                   ("platform_fees", Decimal("38.25"))}
    assert _entries("refund") == {("escrow", Decimal("-158.25")), ("buyer", Decimal("158.25"))}
    assert Payment.objects.get(pk=payment["id"]).status == "refunded"
    assert reconcile().ok
