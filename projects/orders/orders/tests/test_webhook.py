import time

from marketplace_libs.testing import problem, published
from orders.models import Order, PaymentWebhookEvent

from .conftest import ORDERS, place, webhook


def test_a_signed_payment_moves_the_order_once_even_when_replayed(api_client, buyer, gig):
    order = place(buyer, gig)
    first = webhook(api_client, order, event_id="evt_once")
    assert first.status_code == 200 and first.json()["outcome"] == "applied"
    again = webhook(api_client, order, event_id="evt_once")
    assert again.status_code == 200 and again.json()["outcome"] == "duplicate"
    assert len(published("order.paid")) == 1
    assert Order.objects.get(pk=order["id"]).status == "in_progress"


def test_a_forged_signature_is_a_400_and_changes_nothing(api_client, buyer, gig):
    order = place(buyer, gig)
    problem(webhook(api_client, order, secret="not-the-secret"), 400)
    body_only = api_client.generic("POST", f"{ORDERS}/payments/webhook", b'{"id":"x"}', content_type="application/json")
    problem(body_only, 400)
    problem(api_client.generic("POST", f"{ORDERS}/payments/webhook", b"{}", content_type="application/json",
                               HTTP_X_PAYMENT_SIGNATURE="t=abc,v1=00"), 400)
    assert Order.objects.get(pk=order["id"]).status == "pending_payment"
    assert not PaymentWebhookEvent.objects.exists()


def test_a_stale_or_future_signature_is_refused(api_client, buyer, gig):
    order = place(buyer, gig)
    problem(webhook(api_client, order, at=int(time.time()) - 301), 400)
    problem(webhook(api_client, order, at=int(time.time()) + 301), 400)
    assert webhook(api_client, order, at=int(time.time()) - 290).status_code == 200


def test_a_wrong_amount_or_currency_is_a_400_and_changes_nothing(api_client, buyer, gig):
    order = place(buyer, gig)
    problem(webhook(api_client, order, amount="4.00"), 400)
    problem(webhook(api_client, order, currency="EUR"), 400)
    problem(webhook(api_client, {**order, "id": order["id"], "payment": {"payment_id": "sbx_pay_other"}}), 400)
    assert Order.objects.get(pk=order["id"]).status == "pending_payment"
    assert published("order.paid") == []


def test_a_failed_payment_is_on_the_timeline_and_a_later_success_still_counts(api_client, buyer, gig):
    order = place(buyer, gig)
    assert webhook(api_client, order, "payment.failed").status_code == 200
    detail = buyer.client.get(f"{ORDERS}/{order['id']}/").json()
    assert detail["status"] == "pending_payment" and detail["payment"]["status"] == "failed"
    assert detail["timeline"][-1]["type"] == "payment_failed"
    webhook(api_client, order)
    assert buyer.client.get(f"{ORDERS}/{order['id']}/").json()["status"] == "in_progress"


def test_a_failure_reported_after_the_success_changes_nothing(api_client, buyer, gig):
    order = place(buyer, gig)
    webhook(api_client, order)
    before = buyer.client.get(f"{ORDERS}/{order['id']}/").json()
    late = webhook(api_client, order, "payment.failed")
    assert late.status_code == 200 and late.json() == {"received": True, "outcome": "ignored"}
    after = buyer.client.get(f"{ORDERS}/{order['id']}/").json()
    assert after == before
    assert after["status"] == "in_progress" and after["payment"]["status"] == "succeeded"


def test_a_payment_arriving_after_a_cancellation_is_refunded(api_client, buyer, gig):
    order = place(buyer, gig)
    buyer.client.post(f"{ORDERS}/{order['id']}/cancel", {"reason": "Changed my mind"}, format="json")
    webhook(api_client, order)
    detail = buyer.client.get(f"{ORDERS}/{order['id']}/").json()
    assert detail["status"] == "cancelled" and detail["payment"]["status"] == "refund_pending"
    assert published("order.paid") == []


def test_a_body_that_is_not_an_event_is_a_400(api_client, db):
    from django.conf import settings

    from orders.payments.webhook import signature_header

    for raw in (b"not json", b"[]", b'{"id": "e1", "type": "payment.succeeded"}',
                b'{"id": "e1", "type": "charge.disputed", "data": {"payment_id": "p", "order_id": "o", '
                b'"amount": "1.00", "currency": "USD"}}'):
        response = api_client.generic("POST", f"{ORDERS}/payments/webhook", raw, content_type="application/json",
                                      HTTP_X_PAYMENT_SIGNATURE=signature_header(raw, settings.PAYMENT_WEBHOOK_SECRET))
        problem(response, 400)
