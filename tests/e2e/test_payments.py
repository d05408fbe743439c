"""Money through the gateway on the real servers: place → checkout → the provider's webhook (sandbox and
Stripe, the latter against localstripe) → in progress → delivered → accepted → a pending earning → cleared
(clearance 0 days here) → a payout paid; the balance, the ledger and `reconcile` right at every step."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from decimal import ROUND_DOWN, Decimal

import httpx
import pytest
import stripe

from .support import (
    ROOT, assert_problem, become_seller, checkout, order_of, publish_gig, signed_sandbox_webhook, wait_for,
)

PAYMENTS = "/api/payments"


@pytest.fixture(scope="module")
def seller_with_gig(platform):
    with httpx.Client(base_url=platform.base_url, timeout=10) as client:
        seller = become_seller(platform, client, platform.log_in(client, platform.register(client)))
        gig = publish_gig(client, seller, "I will illustrate your children's book cover", price="100.00")
    return seller, gig


def reconciled(platform) -> str:
    """`manage_all.py run payments reconcile` against the e2e platform: exit 0, or the differences."""
    result = subprocess.run([sys.executable, "manage_all.py", "run", "payments", "reconcile"], cwd=ROOT,
                            env=platform.env, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def place(gateway, buyer, gig, *, key: str | None = None) -> httpx.Response:
    headers = {**buyer.auth(), **({"Idempotency-Key": key} if key else {})}

    def attempt():
        response = gateway.post("/api/orders/", headers=headers, json={"gig_id": gig["id"], "package": "basic"})
        return response if response.status_code == 201 else None

    return wait_for(attempt, interval=0.2, what="gig.created to reach the order service")


def balance(gateway, user, currency: str = "USD") -> dict:
    balances = gateway.get(f"{PAYMENTS}/balance", headers=user.auth()).json()["balances"]
    return next((row for row in balances if row["currency"] == currency), {})


def ledger(gateway, user) -> list[dict]:
    response = gateway.get(f"{PAYMENTS}/ledger", headers=user.auth())
    assert response.status_code == 200, response.text
    return response.json()["results"]


def kinds_of_notifications(gateway, user) -> set[str]:
    return {row["kind"] for row in gateway.get("/api/notifications/", headers=user.auth()).json()["results"]}


def status_becomes(gateway, user, order, status: str, field: str = "status") -> dict:
    return wait_for(lambda: (lambda now: now if now[field] == status else None)(order_of(gateway, user, order)),
                    interval=0.2, what=f"the order's {field} to become {status}")


def test_sandbox_money_from_checkout_to_payout(platform, gateway, seller_with_gig):
    seller, gig = seller_with_gig
    buyer = platform.log_in(gateway, platform.register(gateway))
    stranger = platform.log_in(gateway, platform.register(gateway))

    # Placing with an Idempotency-Key twice is one order; the terms are the order service's.
    key = str(uuid.uuid4())
    order = place(gateway, buyer, gig, key=key).json()
    again = gateway.post("/api/orders/", headers={**buyer.auth(), "Idempotency-Key": key},
                         json={"gig_id": gig["id"], "package": "basic"})
    assert again.status_code == 201 and again.json()["id"] == order["id"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert (order["price"], order["service_fee"], order["total"]) == ("100.00", "5.50", "105.50")

    # Checkout, once order.placed has reached the payment service (before, anyone is told 409 order_pending):
    # someone else's order is not found; a float or unknown field is refused; twice is one payment.
    payment = checkout(gateway, buyer, order)
    assert (payment["amount"], payment["currency"], payment["status"], payment["provider"]) == (
        "105.50", "USD", "requires_payment", "sandbox")
    assert_problem(gateway.post(f"{PAYMENTS}/checkout", headers=stranger.auth(), json={"order_id": order["id"]}), 404)
    assert_problem(gateway.post(f"{PAYMENTS}/checkout", headers=buyer.auth(),
                                json={"order_id": order["id"], "amount": 1.5}), 400, field="amount")
    assert checkout(gateway, buyer, order)["id"] == payment["id"]

    # Forged, stale and short-changed webhooks are refused and change nothing.
    webhook = f"{PAYMENTS}/webhooks/sandbox"
    for body, headers in (signed_sandbox_webhook(platform, payment, secret="guessed"),
                          signed_sandbox_webhook(platform, payment, at=int(time.time()) - 600),
                          signed_sandbox_webhook(platform, payment, amount="1.00")):
        assert_problem(gateway.post(webhook, content=body, headers=headers), 400)
    assert order_of(gateway, buyer, order)["status"] == "pending_payment"
    assert ledger(gateway, buyer) == []

    # The real one, then its replay: applied once.
    body, headers = signed_sandbox_webhook(platform, payment)
    assert gateway.post(webhook, content=body, headers=headers).json() == {"received": True, "outcome": "applied"}
    assert gateway.post(webhook, content=body, headers=headers).json()["outcome"] == "duplicate"
    assert status_becomes(gateway, buyer, order, "in_progress")["payment_status"] == "paid"
    [paid] = ledger(gateway, buyer)
    assert (paid["kind"], paid["account"], paid["amount"]) == ("payment", "buyer", "-105.50")
    assert_problem(gateway.post(f"{PAYMENTS}/checkout", headers=buyer.auth(), json={"order_id": order["id"]}), 409)
    # A failure reported after the money arrived is stale.
    late_body, late = signed_sandbox_webhook(platform, payment, "payment.failed")
    assert gateway.post(webhook, content=late_body, headers=late).json()["outcome"] == "ignored"
    wait_for(lambda: "payment.succeeded" in kinds_of_notifications(gateway, buyer), what="the buyer to be told")
    assert "Reconciled" in reconciled(platform)

    # Delivered and accepted: the seller earns price less 20 % commission; it clears (0 days here).
    url = f"/api/orders/{order['id']}"
    assert gateway.post(f"{url}/deliver", headers=seller.auth(), json={"message": "Final"}).status_code == 200
    assert gateway.post(f"{url}/accept", headers=buyer.auth()).json()["status"] == "completed"
    cleared = wait_for(lambda: (lambda row: row if row.get("available") == "80.00" else None)(balance(gateway, seller)),
                       what="the earning to be credited and cleared")
    assert (cleared["pending"], cleared["withdrawn"], cleared["lifetime_earnings"]) == ("0.00", "0.00", "80.00")
    entries = ledger(gateway, seller)
    assert {(row["kind"], row["account"], row["amount"]) for row in entries} == {
        ("earning", "seller_pending", "80.00"), ("clearance", "seller_pending", "-80.00"),
        ("clearance", "seller_available", "80.00")}
    wait_for(lambda: {"order.completed", "earnings.cleared"} <= kinds_of_notifications(gateway, seller),
             what="the seller to be told of completion and clearance")
    assert "order.completed" in kinds_of_notifications(gateway, buyer)
    assert "Reconciled" in reconciled(platform)

    # Payouts: only sellers; under the minimum, over the balance, a float: refused and nothing moves.
    payouts = f"{PAYMENTS}/payouts"
    assert_problem(gateway.post(payouts, headers=buyer.auth(), json={"amount": "20.00", "currency": "USD"}), 403)
    assert_problem(gateway.post(payouts, headers=seller.auth(), json={"amount": "10.00", "currency": "USD"}), 400)
    assert_problem(gateway.post(payouts, headers=seller.auth(), json={"amount": "500.00", "currency": "USD"}), 409)
    assert_problem(gateway.post(payouts, headers=seller.auth(), json={"amount": 50.0, "currency": "USD"}), 400,
                   field="amount")
    payout_key = {"Idempotency-Key": str(uuid.uuid4())}
    asked = gateway.post(payouts, headers={**seller.auth(), **payout_key}, json={"amount": "50.00", "currency": "USD"})
    assert asked.status_code == 201 and asked.json()["status"] in ("pending", "paid")
    replay = gateway.post(payouts, headers={**seller.auth(), **payout_key}, json={"amount": "50.00", "currency": "USD"})
    assert replay.json()["id"] == asked.json()["id"]
    assert gateway.get(payouts, headers=stranger.auth()).status_code == 403

    def paid_out():
        [row] = gateway.get(payouts, headers=seller.auth()).json()["results"]
        return row if row["status"] == "paid" else None

    assert wait_for(paid_out, what="the scheduler to pay the payout")["amount"] == "50.00"
    after = balance(gateway, seller)
    assert (after["available"], after["in_transit"], after["withdrawn"]) == ("30.00", "0.00", "50.00")
    wait_for(lambda: "payout.paid" in kinds_of_notifications(gateway, seller), what="the seller to be told")
    assert "Reconciled" in reconciled(platform)


def test_concurrent_payouts_never_overdraw(platform, gateway, seller_with_gig):
    """20 payout requests at once against a balance that covers 3: exactly 3 succeed."""
    seller, gig = seller_with_gig
    buyer = platform.log_in(gateway, platform.register(gateway))
    order = place(gateway, buyer, gig).json()
    payment = checkout(gateway, buyer, order)
    body, headers = signed_sandbox_webhook(platform, payment)
    assert gateway.post(f"{PAYMENTS}/webhooks/sandbox", content=body, headers=headers).status_code == 200
    status_becomes(gateway, buyer, order, "in_progress")
    available_before = Decimal(balance(gateway, seller).get("available", "0.00"))
    gateway.post(f"/api/orders/{order['id']}/deliver", headers=seller.auth(), json={"message": "Done"})
    gateway.post(f"/api/orders/{order['id']}/accept", headers=buyer.auth())
    wait_for(lambda: Decimal(balance(gateway, seller).get("available", "0")) == available_before + Decimal("80.00"),
             what="the second earning to clear")
    # Whatever the first test left, ask for a third of the available balance 20 times at once.
    available = available_before + Decimal("80.00")
    share = (available / 3).quantize(Decimal("0.01"), rounding=ROUND_DOWN)
    assert share >= Decimal("20.00")

    def ask(_):
        with httpx.Client(base_url=platform.base_url, timeout=20) as client:
            return client.post(f"{PAYMENTS}/payouts", headers=seller.auth(),
                               json={"amount": str(share), "currency": "USD"}).status_code

    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(pool.map(ask, range(20)))
    assert sorted(answers) == [201] * 3 + [409] * 17
    assert Decimal(balance(gateway, seller)["available"]) == available - 3 * share >= 0
    assert "Reconciled" in reconciled(platform)


def test_stripe_payment_through_localstripe_then_a_refund_on_cancellation(platform, gateway, seller_with_gig):
    seller, gig = seller_with_gig
    buyer = platform.log_in(gateway, platform.register(gateway))
    order = place(gateway, buyer, gig).json()
    assert_problem(gateway.post(f"{PAYMENTS}/checkout", headers=buyer.auth(),
                                json={"order_id": order["id"], "provider": "paypal"}), 400, field="provider")
    payment = checkout(gateway, buyer, order, provider="stripe")
    assert payment["provider"] == "stripe" and payment["amount"] == "105.50"
    intent_id = payment["client_secret"].split("_secret_")[0]

    # What Stripe.js does in the buyer's browser: attach a card, confirm; localstripe then sends its webhook.
    client = stripe.StripeClient(platform.env["MARKETPLACE_STRIPE_API_KEY"],
                                 base_addresses={"api": platform.env["MARKETPLACE_STRIPE_API_BASE"]})
    client.v1.payment_intents.update(intent_id, params={"payment_method": "pm_card_visa"})
    assert client.v1.payment_intents.confirm(intent_id).status == "succeeded"
    status_becomes(gateway, buyer, order, "in_progress")

    # A forged Stripe webhook is refused.
    forged = json.dumps({"id": "evt_forged", "type": "payment_intent.succeeded", "data": {"object": {}}})
    header = stripe.WebhookSignature.generate_signature_header(forged, "whsec_guessed")
    assert_problem(gateway.post(f"{PAYMENTS}/webhooks/stripe", content=forged,
                                headers={"Stripe-Signature": header, "Content-Type": "application/json"}), 400)

    # The seller cancels the paid order: the payment service refunds it in full through Stripe.
    cancelled = gateway.post(f"/api/orders/{order['id']}/cancel", headers=seller.auth(), json={"reason": "Ill"})
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    status_becomes(gateway, buyer, order, "refunded", field="payment_status")
    refunds = client.v1.refunds.list(params={"payment_intent": intent_id}).data
    assert [refund.amount for refund in refunds] == [10550]
    assert sorted((row["kind"], row["amount"]) for row in ledger(gateway, buyer)) == [
        ("payment", "-105.50"), ("refund", "105.50")]
    wait_for(lambda: "payment.refunded" in kinds_of_notifications(gateway, buyer), what="the buyer to be told")
    assert "Reconciled" in reconciled(platform)
