"""The Stripe provider against a real localstripe server: intents, card confirmation, webhooks, refunds.

What localstripe does not do (and so is not tested against it here): it ignores Idempotency-Key (the
tests check the key reaches the wire), it sends no charge.refunded webhook (the test signs one over the
real refunded charge, as Stripe would), and it has no Transfer API (docs/payments.md, "Stripe payouts").
"""

from __future__ import annotations

import json
import time
import uuid
from decimal import Decimal

import pytest
import stripe
from marketplace_libs.errors import InvalidInput
from marketplace_libs.testing import free_port

from payments.providers import ProviderRefused, ProviderUnavailable
from payments.providers.stripe import (
    StripeProvider,
    TransfersNotSupported,
    UnrepresentableAmount,
    from_minor_units,
    to_minor_units,
)

from .conftest import WEBHOOK_SECRET


def new_intent(provider, amount="158.25", currency="USD", **overrides):
    payment_id, order_id = str(uuid.uuid4()), str(uuid.uuid4())
    arguments = dict(payment_id=payment_id, order_id=order_id, amount=Decimal(amount), currency=currency,
                     description="Order: I will design a minimalist logo", idempotency_key=f"checkout-{payment_id}")
    arguments.update(overrides)
    return provider.create_intent(**arguments), payment_id, order_id


def buyer_pays(provider, reference: str, payment_method: str):
    """What Stripe.js does in the buyer's browser with the client secret: attach a card, confirm."""
    provider.client.v1.payment_intents.update(reference, params={"payment_method": payment_method})
    return provider.client.v1.payment_intents.confirm(reference)


def signed(payload: dict, *, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> tuple[bytes, dict]:
    body = json.dumps(payload)
    header = stripe.WebhookSignature.generate_signature_header(body, secret, timestamp=timestamp)
    return body.encode(), {"Stripe-Signature": header}


# --- amounts ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("amount, currency, minor", [
    ("158.25", "USD", 15825), ("20", "EUR", 2000), ("0.01", "usd", 1), ("1500", "JPY", 1500),
    ("1500.00", "JPY", 1500), ("1.23", "KWD", 1230), ("100", "ISK", 10000),
])
def test_amounts_go_to_stripe_in_exact_minor_units(amount, currency, minor):
    assert to_minor_units(Decimal(amount), currency) == minor
    assert from_minor_units(minor, currency) == Decimal(amount)


@pytest.mark.parametrize("amount, currency", [
    ("158.255", "USD"), ("1500.5", "JPY"), ("1.234", "KWD"), ("100.50", "ISK"), ("0", "USD"), ("-5.00", "USD"),
    ("NaN", "USD"), ("Infinity", "USD"),
])
def test_an_amount_without_exact_minor_units_is_refused(amount, currency):
    with pytest.raises(UnrepresentableAmount):
        to_minor_units(Decimal(amount), currency)


def test_a_float_is_never_converted():
    with pytest.raises(TypeError):
        to_minor_units(158.25, "USD")


def test_amounts_come_back_as_two_place_decimal_strings():
    assert str(from_minor_units(15825, "usd")) == "158.25"
    assert str(from_minor_units(2000, "EUR")) == "20.00"
    assert str(from_minor_units(1500, "JPY")) == "1500"
    assert str(from_minor_units(1230, "KWD")) == "1.23"


# --- intents -------------------------------------------------------------------------------------

def test_an_intent_is_a_payment_intent_in_minor_units_with_our_ids(provider):
    intent, payment_id, order_id = new_intent(provider)

    assert intent.reference.startswith("pi_")
    assert intent.client_secret.startswith(f"{intent.reference}_secret_")
    stored = provider.client.v1.payment_intents.retrieve(intent.reference)
    assert (stored.amount, stored.currency, stored.status) == (15825, "usd", "requires_payment_method")
    assert stored.metadata["payment_id"] == payment_id
    assert stored.metadata["order_id"] == order_id


def test_a_zero_decimal_currency_is_sent_in_whole_units(provider):
    intent, _, _ = new_intent(provider, amount="1500", currency="JPY")

    stored = provider.client.v1.payment_intents.retrieve(intent.reference)
    assert (stored.amount, stored.currency) == (1500, "jpy")


def test_an_inexact_amount_creates_nothing_at_stripe(provider):
    before = len(provider.client.v1.payment_intents.list(params={"limit": 100}).data)

    with pytest.raises(UnrepresentableAmount):
        new_intent(provider, amount="1500.50", currency="JPY")

    assert len(provider.client.v1.payment_intents.list(params={"limit": 100}).data) == before


def test_the_idempotency_key_goes_with_every_money_moving_call(provider, recording_proxy):
    proxy_url, seen = recording_proxy
    through_proxy = StripeProvider(api_key="sk_test_marketplace", api_base=proxy_url, webhook_secret=WEBHOOK_SECRET)

    intent, payment_id, _ = new_intent(through_proxy)
    buyer_pays(provider, intent.reference, "pm_card_visa")
    through_proxy.refund(payment_reference=intent.reference, amount=Decimal("10.00"), currency="USD",
                         idempotency_key=f"refund-{payment_id}")

    posts = [(request.path, request.headers.get("Idempotency-Key")) for request in seen if request.method == "POST"]
    assert posts == [("/v1/payment_intents", f"checkout-{payment_id}"), ("/v1/refunds", f"refund-{payment_id}")]


# --- the buyer pays: webhooks ----------------------------------------------------------------------

def test_a_confirmed_card_payment_arrives_as_payment_succeeded(provider, webhook_inbox):
    intent, _, _ = new_intent(provider)

    assert buyer_pays(provider, intent.reference, "pm_card_visa").status == "succeeded"
    delivery = webhook_inbox.next_of("payment_intent.succeeded", about=intent.reference)
    event = provider.verify_webhook(body=delivery.body, headers=delivery.headers)

    assert event.type == "payment.succeeded"
    assert event.id.startswith("evt_")
    assert event.payment_reference == intent.reference
    assert (event.amount, event.currency) == (Decimal("158.25"), "USD")


def test_a_declined_card_arrives_as_payment_failed_with_stripes_reason(provider, webhook_inbox):
    intent, _, _ = new_intent(provider, amount="40.00", currency="EUR")

    with pytest.raises(stripe.CardError):
        buyer_pays(provider, intent.reference, "pm_card_chargeCustomerFail")
    delivery = webhook_inbox.next_of("payment_intent.payment_failed", about=intent.reference)
    event = provider.verify_webhook(body=delivery.body, headers=delivery.headers)

    assert event.type == "payment.failed"
    assert event.payment_reference == intent.reference
    assert (event.amount, event.currency) == (Decimal("40.00"), "EUR")
    assert event.reason == "Your card was declined."


def test_a_forged_or_tampered_webhook_is_refused(provider, webhook_inbox):
    intent, _, _ = new_intent(provider)
    buyer_pays(provider, intent.reference, "pm_card_visa")
    delivery = webhook_inbox.next_of("payment_intent.succeeded", about=intent.reference)
    payload = json.loads(delivery.body)

    forged_body, forged_headers = signed(payload, secret="whsec_someone_else")
    with pytest.raises(InvalidInput):
        provider.verify_webhook(body=forged_body, headers=forged_headers)

    payload["data"]["object"]["amount"] = 1
    with pytest.raises(InvalidInput):
        provider.verify_webhook(body=json.dumps(payload).encode(), headers=delivery.headers)


def test_a_stale_webhook_is_refused(provider):
    body, headers = signed({"id": "evt_stale", "type": "payment_intent.succeeded", "data": {"object": {
        "id": "pi_stale", "amount": 1000, "currency": "usd"}}}, timestamp=int(time.time()) - 301)

    with pytest.raises(InvalidInput):
        provider.verify_webhook(body=body, headers=headers)


@pytest.mark.parametrize("body, headers", [
    (b'{"id": "evt_1"}', {}),
    (b'{"id": "evt_1"}', {"Stripe-Signature": "nonsense"}),
    (b'{"id": "evt_1"}', {"Stripe-Signature": f"t={int(time.time())},v1=00"}),
])
def test_a_missing_or_malformed_signature_is_refused(provider, body, headers):
    with pytest.raises(InvalidInput):
        provider.verify_webhook(body=body, headers=headers)


@pytest.mark.parametrize("body", [b"not json", b"\xff\xfe", b"[]", b'{"type": "payment_intent.succeeded"}',
                                  b'{"id": "evt_1", "type": "payment_intent.succeeded", "data": {"object": {}}}',
                                  b'{"id": "evt_1", "type": "charge.refunded", "data": null}'])
def test_a_signed_body_that_is_no_stripe_event_is_refused(provider, body):
    header = stripe.WebhookSignature.generate_signature_header(body.decode("utf-8", "replace"), WEBHOOK_SECRET)
    if body == b"\xff\xfe":  # not UTF-8: no signature can even be computed over it
        header = f"t={int(time.time())},v1=00"

    with pytest.raises(InvalidInput):
        provider.verify_webhook(body=body, headers={"stripe-signature": header})


def test_other_stripe_events_are_verified_and_ignored(provider):
    body, headers = signed({"id": "evt_customer", "type": "customer.created",
                            "data": {"object": {"id": "cus_1", "object": "customer"}}})

    event = provider.verify_webhook(body=body, headers=headers)

    assert (event.id, event.type) == ("evt_customer", "ignored")


# --- refunds ---------------------------------------------------------------------------------------

def test_a_refund_of_a_paid_intent_succeeds_and_maps_as_refund_succeeded(provider):
    intent, payment_id, _ = new_intent(provider)
    paid = buyer_pays(provider, intent.reference, "pm_card_visa")

    refund = provider.refund(payment_reference=intent.reference, amount=Decimal("158.25"), currency="USD",
                             idempotency_key=f"refund-{payment_id}")

    assert refund.reference.startswith("re_")
    assert refund.status == "succeeded"
    stored = provider.client.v1.refunds.retrieve(refund.reference)
    assert (stored.amount, stored.payment_intent) == (15825, intent.reference)
    # localstripe sends no charge.refunded: the refunded charge, as Stripe would send it, signed as Stripe signs.
    charge = provider.client.v1.charges.retrieve(paid.latest_charge if isinstance(paid.latest_charge, str)
                                                 else paid.latest_charge.id)
    body, headers = signed({"id": f"evt_{uuid.uuid4().hex}", "type": "charge.refunded",
                            "data": {"object": charge.to_dict()}})
    event = provider.verify_webhook(body=body, headers=headers)
    assert event.type == "refund.succeeded"
    assert event.payment_reference == intent.reference
    assert (event.amount, event.currency) == (Decimal("158.25"), "USD")


def test_a_partial_refund_is_sent_in_minor_units(provider):
    intent, payment_id, _ = new_intent(provider)
    buyer_pays(provider, intent.reference, "pm_card_visa")

    refund = provider.refund(payment_reference=intent.reference, amount=Decimal("50.00"), currency="USD",
                             idempotency_key=f"refund-{payment_id}")

    assert provider.client.v1.refunds.retrieve(refund.reference).amount == 5000


def test_refunding_a_failed_payment_is_refused(provider):
    intent, payment_id, _ = new_intent(provider)
    with pytest.raises(stripe.CardError):
        buyer_pays(provider, intent.reference, "pm_card_chargeCustomerFail")

    with pytest.raises(ProviderRefused):
        provider.refund(payment_reference=intent.reference, amount=Decimal("158.25"), currency="USD",
                        idempotency_key=f"refund-{payment_id}")


def test_refunding_an_unknown_intent_is_refused(provider):
    with pytest.raises(ProviderRefused):
        provider.refund(payment_reference="pi_unknown", amount=Decimal("1.00"), currency="USD",
                        idempotency_key="refund-unknown")


# --- faults ----------------------------------------------------------------------------------------

def test_stripe_out_of_reach_is_unavailable():
    closed = StripeProvider(api_key="sk_test_marketplace", api_base=f"http://127.0.0.1:{free_port()}",
                            webhook_secret=WEBHOOK_SECRET)

    with pytest.raises(ProviderUnavailable):
        new_intent(closed)


def test_a_key_stripe_refuses_is_unavailable_not_the_buyers_fault(localstripe_url):
    wrong_key = StripeProvider(api_key="not-a-secret-key", api_base=localstripe_url, webhook_secret=WEBHOOK_SECRET)

    with pytest.raises(ProviderUnavailable):
        new_intent(wrong_key)


def test_payouts_by_transfer_are_refused_with_the_reason(provider):
    with pytest.raises(TransfersNotSupported) as refused:
        provider.transfer(payout_id=str(uuid.uuid4()), seller_id=str(uuid.uuid4()), amount=Decimal("25.00"),
                          currency="USD", idempotency_key="payout-1")

    assert isinstance(refused.value, ProviderRefused)
    assert "Stripe Connect" in str(refused.value)


def test_the_provider_refuses_to_start_without_its_settings():
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured):
        StripeProvider(api_key="", webhook_secret=WEBHOOK_SECRET)
    with pytest.raises(ImproperlyConfigured):
        StripeProvider(api_key="sk_test_marketplace", webhook_secret="")
