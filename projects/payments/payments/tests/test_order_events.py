from decimal import Decimal

import pytest

from marketplace_libs.errors import InvalidInput
from marketplace_libs.testing import deliver, event, problem, published
from payments import services
from payments.models import Balance, LedgerEntry, LedgerTransaction, OrderTerms, Payment
from payments.providers import ProviderUnavailable
from payments.providers.sandbox import SandboxProvider
from payments.reconcile import reconcile
from payments.services import NotKnownYet

from .conftest import PAYMENTS, cancelled_event, complete, order_event, utc


def _entries(kind: str) -> set:
    return {(e.account, e.amount) for e in LedgerEntry.objects.filter(transaction__kind=kind)}


def test_order_placed_keeps_the_terms_once(place):
    order = place()
    deliver(event("order.placed", order.terms))  # the same facts under another event id
    terms = OrderTerms.objects.get()
    assert str(terms.order_id) == order.id and terms.total == Decimal("158.25")
    assert terms.platform_fee == Decimal("38.25") and terms.status == "placed"


def test_completion_pays_the_platform_and_credits_the_seller_pending_until_clearance(paid, settings):
    settings.CLEARANCE_DAYS = 7
    order, _ = paid()
    complete(order, at="2026-05-19T18:30:00Z")
    assert _entries("earning") == {("escrow", Decimal("-158.25")), ("platform_fees", Decimal("38.25")),
                                   ("seller_pending", Decimal("120.00"))}
    pending = LedgerEntry.objects.get(account="seller_pending")
    assert pending.available_at == utc("2026-05-26T18:30:00Z")
    balance = Balance.objects.get(user_id=order.seller.id)
    assert (balance.pending, balance.available, balance.lifetime_earnings) == (Decimal("120.00"), 0, Decimal("120.00"))

    assert services.release_cleared_earnings(now=utc("2026-05-26T18:29:59Z")) == 0
    assert services.release_cleared_earnings(now=utc("2026-05-26T18:30:00Z")) == 1
    assert services.release_cleared_earnings(now=utc("2026-05-27T00:00:00Z")) == 0
    balance.refresh_from_db()
    assert (balance.pending, balance.available) == (0, Decimal("120.00"))
    [cleared] = published("earnings.cleared")
    assert cleared == {**cleared, "order_id": order.id, "seller_id": order.seller.id, "amount": "120.00",
                       "currency": "USD"}
    assert reconcile().ok


def test_with_zero_clearance_days_the_earning_clears_on_the_next_run(paid, settings):
    settings.CLEARANCE_DAYS = 0
    order, _ = paid()
    complete(order, at="2026-05-19T18:30:00Z")
    assert services.release_cleared_earnings() == 1
    assert Balance.objects.get(user_id=order.seller.id).available == Decimal("120.00")


def test_support_releases_an_earning_early_once_and_only_a_pending_one(paid, settings):
    from django.core.management import CommandError, call_command

    settings.CLEARANCE_DAYS = 7
    order, _ = paid()
    with pytest.raises(CommandError, match="no earning waiting"):
        call_command("release_earning", order.id)  # paid, not completed
    complete(order)
    call_command("release_earning", order.id)
    assert Balance.objects.get(user_id=order.seller.id).available == Decimal("120.00")
    assert len(published("earnings.cleared")) == 1
    with pytest.raises(CommandError, match="no earning waiting"):
        call_command("release_earning", order.id)
    assert services.release_cleared_earnings(now=utc("2099-01-01T00:00:00Z")) == 0
    with pytest.raises(CommandError, match="not an order id"):
        call_command("release_earning", "12")
    assert reconcile().ok


def test_the_seller_sees_balance_and_ledger_and_the_buyer_only_theirs(paid, settings):
    settings.CLEARANCE_DAYS = 0
    order, payment = paid()
    complete(order)
    services.release_cleared_earnings()
    balance = order.seller.client.get(f"{PAYMENTS}/balance").json()
    assert balance == {"balances": [{"currency": "USD", "pending": "0.00", "available": "120.00",
                                     "in_transit": "0.00", "withdrawn": "0.00", "lifetime_earnings": "120.00"}]}
    ledger = order.seller.client.get(f"{PAYMENTS}/ledger").json()
    assert ledger["count"] == 3
    assert [(row["kind"], row["account"], row["amount"]) for row in ledger["results"]] == [
        ("clearance", "seller_available", "120.00"), ("clearance", "seller_pending", "-120.00"),
        ("earning", "seller_pending", "120.00")]
    assert all(row["order_id"] == order.id and row["payout_id"] is None for row in ledger["results"])
    buyers = order.buyer.client.get(f"{PAYMENTS}/ledger").json()
    assert [(row["kind"], row["account"], row["amount"]) for row in buyers["results"]] == [
        ("payment", "buyer", "-158.25")]
    assert order.buyer.client.get(f"{PAYMENTS}/balance").json() == {"balances": []}
    problem(order.buyer.client.get(f"{PAYMENTS}/ledger", {"page_size": "x"}), 400)


def test_an_event_before_the_terms_raises_so_it_is_retried(place):
    order = place()
    stranger = order_event(order, "order.completed", completed_at="2026-05-19T18:30:00Z", by="buyer")
    stranger["order_id"] = "5d6e7f80-91a2-4b3c-8d4e-5f6a7b8c9d0e"
    with pytest.raises(NotKnownYet):
        deliver(event("order.completed", stranger))
    with pytest.raises(NotKnownYet):  # known terms, but no payment known: also a retry
        complete(order)
    assert not LedgerTransaction.objects.exists()


def test_a_cancelled_paid_order_is_refunded_in_full_once(paid):
    order, payment = paid()
    cancellation = cancelled_event(order)
    deliver(cancellation)
    deliver(cancellation)  # redelivered: the inbox applies it once
    assert _entries("refund") == {("escrow", Decimal("-158.25")), ("buyer", Decimal("158.25"))}
    assert Payment.objects.get(pk=payment["id"]).status == "refunded"
    [refunded] = published("payment.refunded")
    assert refunded["refunded_total"] == "158.25"
    assert OrderTerms.objects.get().status == "cancelled"
    assert reconcile().ok


def test_a_refund_the_provider_cannot_take_now_raises_and_keeps_nothing(paid, monkeypatch):
    order, payment = paid()

    def unreachable(self, **_):
        raise ProviderUnavailable("connection refused")

    monkeypatch.setattr(SandboxProvider, "refund", unreachable)
    with pytest.raises(services.ProviderDown):
        deliver(cancelled_event(order, event_id="0b5c1d2e-3f40-4a5b-8c6d-7e8f9a0b1c2d"))
    assert Payment.objects.get(pk=payment["id"]).status == "succeeded"
    assert not LedgerTransaction.objects.filter(kind="refund").exists()
    monkeypatch.undo()
    deliver(cancelled_event(order, event_id="0b5c1d2e-3f40-4a5b-8c6d-7e8f9a0b1c2d"))  # the retry
    assert Payment.objects.get(pk=payment["id"]).status == "refunded"


def test_a_partial_refund_reuses_the_posting_and_the_rest_is_refunded_on_cancel(paid):
    order, payment = paid()
    services.refund(order_id=order.id, amount=Decimal("50.00"), idempotency_key="dispute-1")
    services.refund(order_id=order.id, amount=Decimal("50.00"), idempotency_key="dispute-1")  # once
    assert Payment.objects.get(pk=payment["id"]).status == "partially_refunded"
    with pytest.raises(InvalidInput):
        services.refund(order_id=order.id, amount=Decimal("200.00"), idempotency_key="dispute-2")
    deliver(cancelled_event(order))
    assert [r["amount"] for r in published("payment.refunded")] == ["50.00", "108.25"]
    assert set(LedgerTransaction.objects.filter(kind="refund").values_list("key", flat=True)) == {
        f"refund:{order.id}:1", f"refund:{order.id}:2"}
    assert reconcile().ok


@pytest.mark.parametrize("refunded, seller, platform", [
    ("50.00", "70.00", "38.25"),  # out of the seller's share
    ("130.00", None, "28.25"),  # beyond it: the rest out of the platform's
])
def test_a_partial_refund_before_completion_comes_out_of_the_sellers_share_first(paid, refunded, seller, platform):
    order, _ = paid()
    services.refund(order_id=order.id, amount=Decimal(refunded), idempotency_key="dispute-outcome")
    complete(order)
    expected = {("escrow", -(Decimal("158.25") - Decimal(refunded))), ("platform_fees", Decimal(platform))}
    if seller:
        expected.add(("seller_pending", Decimal(seller)))
    assert _entries("earning") == expected
    assert reconcile().ok
