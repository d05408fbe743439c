import uuid

import pytest

from marketplace_libs.testing import deliver, problem
from payments.models import Payment
from payments.providers import ProviderUnavailable
from payments.providers.sandbox import SandboxProvider

from .conftest import PAYMENTS, cancelled_event, checkout, webhook


def test_the_buyer_checks_out_the_orders_total_and_again_gets_the_same_open_payment(place):
    order = place()
    created = checkout(order)
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["order_id"] == order.id and body["amount"] == "158.25" and body["currency"] == "USD"
    assert body["status"] == "requires_payment" and body["provider"] == "sandbox" and body["client_secret"]
    again = checkout(order)
    assert again.status_code == 200 and again.json()["id"] == body["id"]
    assert Payment.objects.count() == 1


def test_after_a_failed_payment_a_new_one_and_after_success_409(place, api_client):
    order = place()
    first = checkout(order).json()
    assert webhook(api_client, "payment.failed", first, reason="Card declined").json()["outcome"] == "applied"
    second = checkout(order)
    assert second.status_code == 201 and second.json()["id"] != first["id"]
    webhook(api_client, "payment.succeeded", second.json())
    assert "paid" in problem(checkout(order), 409)["detail"]


def test_someone_elses_order_is_404_and_an_unknown_one_is_409_order_pending(place, party):
    order = place()
    stranger = party()
    problem(stranger.client.post(f"{PAYMENTS}/checkout", {"order_id": order.id}, format="json"), 404)
    problem(order.seller.client.post(f"{PAYMENTS}/checkout", {"order_id": order.id}, format="json"), 404)
    pending = order.buyer.client.post(f"{PAYMENTS}/checkout", {"order_id": str(uuid.uuid4())}, format="json")
    assert problem(pending, 409)["type"].endswith("order_pending")
    assert int(pending["Retry-After"]) >= 1
    assert not Payment.objects.exists()


def test_a_cancelled_order_cannot_be_paid(place):
    order = place()
    deliver(cancelled_event(order, refunded=False))
    assert "cancelled" in problem(checkout(order), 409)["detail"]


@pytest.mark.parametrize("body, field", [
    ({"order_id": "nope"}, "order_id"), ({"order_id": ""}, "order_id"), ({"order_id": 12}, "order_id"),
    ({"provider": "paypal"}, "provider"),
    ({"amount": "1.00"}, "amount"),
])
def test_bad_input_is_a_400_naming_the_field(place, body, field):
    order = place()
    response = order.buyer.client.post(f"{PAYMENTS}/checkout", {"order_id": order.id, **body}, format="json")
    assert field in problem(response, 400)["errors"]
    assert not Payment.objects.exists()


def test_a_provider_not_enabled_for_new_checkouts_is_refused(place, settings):
    settings.PAYMENT_PROVIDERS = ["sandbox"]
    order = place()
    assert "provider" in problem(checkout(order, provider="stripe"), 400)["errors"]
    assert checkout(order, provider="sandbox").status_code == 201


def test_an_explicit_other_provider_while_a_payment_is_open_is_409(place, settings):
    settings.PAYMENT_PROVIDERS = ["sandbox", "stripe"]
    order = place()
    checkout(order, provider="sandbox")
    assert "open sandbox payment" in problem(checkout(order, provider="stripe"), 409)["detail"]


def test_a_provider_that_cannot_be_reached_is_503_with_retry_after_and_nothing_is_kept(place, monkeypatch):
    # The sandbox runs in process and cannot be unplugged; this is its outage, as the Stripe adapter's
    # tests produce a real one against a closed port.
    def unreachable(self, **_):
        raise ProviderUnavailable("connection refused")

    monkeypatch.setattr(SandboxProvider, "create_intent", unreachable)
    order = place()
    response = checkout(order)
    problem(response, 503)
    assert int(response["Retry-After"]) >= 1
    assert not Payment.objects.exists()


def test_checkout_needs_a_token(api_client, place):
    order = place()
    problem(api_client.post(f"{PAYMENTS}/checkout", {"order_id": order.id}, format="json"), 401)


def test_the_same_idempotency_key_answers_the_first_checkout_again(place):
    order = place()
    first = order.buyer.client.post(f"{PAYMENTS}/checkout", {"order_id": order.id}, format="json",
                                     HTTP_IDEMPOTENCY_KEY="pay-1")
    again = order.buyer.client.post(f"{PAYMENTS}/checkout", {"order_id": order.id}, format="json",
                                    HTTP_IDEMPOTENCY_KEY="pay-1")
    assert first.status_code == again.status_code == 201 and again.json() == first.json()
    problem(order.buyer.client.post(f"{PAYMENTS}/checkout", {"order_id": order.id, "provider": "sandbox"},
                                    format="json", HTTP_IDEMPOTENCY_KEY="pay-1"), 409)


@pytest.mark.parametrize("default, enabled, ids", [
    ("sandbox", ["sandbox"], []), ("paypal", ["paypal"], ["payments.E001", "payments.E002"]),
    ("sandbox", ["stripe"], ["payments.E003"]),
])
def test_the_provider_configuration_is_checked_at_start(settings, default, enabled, ids):
    from payments.checks import payment_providers_are_known

    settings.PAYMENT_PROVIDER, settings.PAYMENT_PROVIDERS = default, enabled
    assert [error.id for error in payment_providers_are_known(None)] == ids
