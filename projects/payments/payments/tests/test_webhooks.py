import json
import time
from decimal import Decimal

import pytest

from marketplace_libs.testing import deliver, problem, published
from payments import services
from payments.models import LedgerTransaction, Payment, ProviderEvent, Refund
from payments.providers.sandbox import signature_header, signed_webhook
from payments.reconcile import reconcile

from .conftest import PAYMENTS, cancelled_event, checkout, webhook


@pytest.fixture
def open_payment(place):
    order = place()
    return order, checkout(order).json()


def test_success_is_applied_once_published_and_held_in_escrow(open_payment, api_client):
    order, payment = open_payment
    first = webhook(api_client, "payment.succeeded", payment, event_id="evt_1")
    assert first.status_code == 200 and first.json() == {"received": True, "outcome": "applied"}
    replay = webhook(api_client, "payment.succeeded", payment, event_id="evt_1")
    assert replay.status_code == 200 and replay.json()["outcome"] == "duplicate"
    assert Payment.objects.get(pk=payment["id"]).status == "succeeded"
    [succeeded] = published("payment.succeeded")
    assert succeeded["payment_id"] == payment["id"] and succeeded["amount"] == "158.25"
    assert succeeded["seller_id"] == order.seller.id and succeeded["provider"] == "sandbox"
    [movement] = LedgerTransaction.objects.filter(kind="payment")
    assert {(e.account, e.amount) for e in movement.entries.all()} == {
        ("buyer", Decimal("-158.25")), ("escrow", Decimal("158.25"))}
    assert reconcile().ok


def _nothing_changed(payment):
    assert Payment.objects.get(pk=payment["id"]).status == "requires_payment"
    assert not ProviderEvent.objects.exists() and not LedgerTransaction.objects.exists()
    assert not published("payment.succeeded")


def test_a_forged_signature_is_400_and_changes_nothing(open_payment, api_client):
    _, payment = open_payment
    problem(webhook(api_client, "payment.succeeded", payment, secret="whsec_someone_else"), 400)
    raw, signature = signed_webhook(event_type="payment.succeeded", payment_id=payment["id"],
                                    order_id=payment["order_id"], amount="158.25", currency="USD")
    tampered = raw.replace(b"158.25", b"1.00")
    problem(api_client.post(f"{PAYMENTS}/webhooks/sandbox", tampered, content_type="application/json",
                            HTTP_X_PAYMENT_SIGNATURE=signature), 400)
    problem(api_client.post(f"{PAYMENTS}/webhooks/sandbox", raw, content_type="application/json"), 400)
    _nothing_changed(payment)


def test_a_stale_signature_is_400_and_changes_nothing(open_payment, api_client):
    _, payment = open_payment
    problem(webhook(api_client, "payment.succeeded", payment, at=int(time.time()) - 301), 400)
    _nothing_changed(payment)


@pytest.mark.parametrize("change", [{"amount": "158.24"}, {"amount": "1581.25"}, {"currency": "EUR"}])
def test_an_amount_or_currency_not_the_payments_is_400_and_changes_nothing(open_payment, api_client, change):
    _, payment = open_payment
    problem(webhook(api_client, "payment.succeeded", payment, **change), 400)
    _nothing_changed(payment)


def test_an_unknown_payment_or_a_malformed_body_is_400(open_payment, api_client):
    _, payment = open_payment
    problem(webhook(api_client, "payment.succeeded", {**payment, "id": "9c8b7a6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"}), 400)
    for raw in (b"not json", json.dumps({"id": "e", "type": "payment.succeeded"}).encode(),
                json.dumps({"id": "e", "type": "charge.weird", "data": {"payment_id": payment["id"], "order_id": "x",
                                                                         "amount": "1", "currency": "USD"}}).encode()):
        problem(api_client.post(f"{PAYMENTS}/webhooks/sandbox", raw, content_type="application/json",
                                HTTP_X_PAYMENT_SIGNATURE=signature_header(raw)), 400)
    _nothing_changed(payment)


def test_a_failure_is_published_and_a_failure_after_success_is_stale(place, api_client):
    order = place()
    payment = checkout(order).json()
    assert webhook(api_client, "payment.failed", payment, reason="Your card was declined.").json()["outcome"] == "applied"
    [failed] = published("payment.failed")
    assert failed["reason"] == "Your card was declined." and failed["buyer_id"] == order.buyer.id

    other = place()
    paid = checkout(other).json()
    webhook(api_client, "payment.succeeded", paid)
    assert webhook(api_client, "payment.failed", paid).json()["outcome"] == "ignored"
    assert Payment.objects.get(pk=paid["id"]).status == "succeeded"
    assert len(published("payment.failed")) == 1


def test_a_payment_arriving_after_the_cancellation_is_refunded_once(place, api_client):
    order = place()
    payment = checkout(order).json()
    deliver(cancelled_event(order, refunded=False))  # nothing to refund yet
    assert webhook(api_client, "payment.succeeded", payment).json()["outcome"] == "applied"
    assert Refund.objects.get().status == "requested"  # the scheduler sends it: the webhook never waits on it
    assert services.send_requested_refunds() == 1
    assert services.send_requested_refunds() == 0
    [refunded] = published("payment.refunded")
    assert refunded["amount"] == refunded["refunded_total"] == refunded["payment_amount"] == "158.25"
    assert Payment.objects.get(pk=payment["id"]).status == "refunded"
    assert LedgerTransaction.objects.filter(kind="refund").count() == 1
    assert reconcile().ok


def test_a_second_payment_of_a_paid_order_goes_back(place, api_client):
    order = place()
    first = checkout(order).json()
    webhook(api_client, "payment.failed", first)
    second = checkout(order).json()
    webhook(api_client, "payment.succeeded", second)
    webhook(api_client, "payment.succeeded", first)  # the provider let the buyer retry the first one too
    services.send_requested_refunds()
    assert Payment.objects.get(pk=first["id"]).status == "refunded"
    assert Payment.objects.get(pk=second["id"]).status == "succeeded"
    assert reconcile().ok


def test_the_sandbox_webhook_command_signs_and_applies_an_event(open_payment, capsys):
    from django.core.management import call_command

    _, payment = open_payment
    call_command("sandbox_webhook", payment["id"], "succeed")
    assert "payment.succeeded: applied" in capsys.readouterr().out
    assert Payment.objects.get(pk=payment["id"]).status == "succeeded"


def test_refunds_the_provider_answered_pending_complete_by_its_refunded_total(paid, api_client, monkeypatch):
    from payments.providers import Refund as ProviderRefund
    from payments.providers.sandbox import SandboxProvider

    # Stripe answers "pending" for some payment methods; the sandbox is made to answer as it would.
    monkeypatch.setattr(SandboxProvider, "refund",
                        lambda self, idempotency_key, **_: ProviderRefund(reference=idempotency_key, status="pending"))
    order, payment = paid()
    services.refund(order_id=order.id, amount=Decimal("50.00"), idempotency_key="first")
    services.refund(order_id=order.id, amount=Decimal("30.00"), idempotency_key="second")
    assert not published("payment.refunded")
    assert webhook(api_client, "refund.succeeded", payment, amount="49.99").json()["outcome"] == "ignored"
    assert webhook(api_client, "refund.succeeded", payment, amount="50.00").json()["outcome"] == "applied"
    assert [r["refunded_total"] for r in published("payment.refunded")] == ["50.00"]
    assert webhook(api_client, "refund.succeeded", payment, amount="80.00").json()["outcome"] == "applied"
    assert [r["refunded_total"] for r in published("payment.refunded")] == ["50.00", "80.00"]
    assert Payment.objects.get(pk=payment["id"]).status == "partially_refunded"
    problem(webhook(api_client, "refund.succeeded", payment, amount="158.26"), 400)
    assert reconcile().ok

