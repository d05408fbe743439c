import pytest

from payments.models import LedgerTransaction, Payment

MODELS = ["ledgertransaction", "ledgerentry", "balance", "payment", "refund", "payout", "orderterms",
          "providerevent"]


@pytest.mark.parametrize("model", MODELS)
def test_staff_see_every_money_table_and_can_change_none(staff_admin_client, paid, model):
    paid()
    listing = staff_admin_client.get(f"/admin/payments/payments/{model}/")
    assert listing.status_code == 200
    assert staff_admin_client.get(f"/admin/payments/payments/{model}/add/").status_code == 403


def test_a_movement_shows_its_entries_read_only_and_a_payment_hides_its_client_secret(staff_admin_client, paid):
    _, payment = paid()
    movement = LedgerTransaction.objects.get(kind="payment")
    page = staff_admin_client.get(f"/admin/payments/payments/ledgertransaction/{movement.pk}/change/")
    assert page.status_code == 200 and "escrow" in page.content.decode().lower() and "158.25" in page.content.decode()
    assert staff_admin_client.post(f"/admin/payments/payments/ledgertransaction/{movement.pk}/delete/",
                                   {"post": "yes"}).status_code == 403
    secret = Payment.objects.get(pk=payment["id"]).client_secret
    page = staff_admin_client.get(f"/admin/payments/payments/payment/{payment['id']}/change/")
    assert page.status_code == 200 and secret not in page.content.decode()


def test_the_api_schema_describes_every_route(api_client):
    schema = api_client.get("/api/payments/schema/", HTTP_ACCEPT="application/json")
    assert schema.status_code == 200
    paths = schema.json()["paths"] if schema["Content-Type"].startswith("application/json") else schema.content.decode()
    for route in ("checkout", "webhooks/sandbox", "webhooks/stripe", "balance", "ledger", "payouts"):
        assert f"/api/payments/{route}" in paths


def test_staff_retry_a_failed_payout_as_a_new_one(staff_admin_client, party):
    from decimal import Decimal

    from payments import services
    from payments.models import Balance, Payout

    from .test_payouts import give_available

    seller = party("seller")
    give_available(seller.id, "50.00")
    failed = services.request_payout(seller_id=seller.id, amount=Decimal("25.13"), currency="USD")
    services.pay_pending_payouts()
    response = staff_admin_client.post("/admin/payments/payments/payout/", {
        "action": "retry_failed_payouts", "_selected_action": [str(failed.pk)]})
    assert response.status_code == 302
    retried = Payout.objects.exclude(pk=failed.pk).get()
    assert (retried.status, retried.amount) == ("pending", Decimal("25.13"))
    assert Balance.objects.get(user_id=seller.id).available == Decimal("24.87")
