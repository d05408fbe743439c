import threading
from decimal import Decimal

import pytest
from django.db import connection

from marketplace_libs.testing import problem, published
from payments import ledger, services
from payments.models import Account, Balance, LedgerTransaction, Payout
from payments.reconcile import reconcile

from .conftest import PAYMENTS

PAYOUTS = f"{PAYMENTS}/payouts"


def give_available(seller_id: str, amount: str, currency: str = "USD") -> None:
    """Money in the seller's available balance, as a cleared earning leaves it (escrow standing in for
    the order's whole path, which test_order_events covers)."""
    from django.db import transaction

    with transaction.atomic():
        ledger.post(kind="clearance", key=f"test-funding:{seller_id}:{amount}:{currency}", legs=[
            ledger.Leg(Account.ESCROW, -Decimal(amount), currency),
            ledger.Leg(Account.SELLER_AVAILABLE, Decimal(amount), currency, owner_id=seller_id),
        ])


@pytest.fixture
def seller(party):
    return party("seller")


def test_a_seller_withdraws_and_the_scheduler_pays_it(seller):
    give_available(seller.id, "100.00")
    response = seller.client.post(PAYOUTS, {"amount": "60.00", "currency": "USD"}, format="json")
    assert response.status_code == 201, response.content
    payout = response.json()
    assert payout["amount"] == "60.00" and payout["status"] == "pending" and payout["currency"] == "USD"
    balance = Balance.objects.get(user_id=seller.id)
    assert (balance.available, balance.in_transit) == (Decimal("40.00"), Decimal("60.00"))

    assert services.pay_pending_payouts() == 1
    assert services.pay_pending_payouts() == 0
    balance.refresh_from_db()
    assert (balance.available, balance.in_transit, balance.withdrawn) == (Decimal("40.00"), 0, Decimal("60.00"))
    listed = seller.client.get(PAYOUTS).json()
    assert listed["count"] == 1 and listed["results"][0]["status"] == "paid" and listed["results"][0]["paid_at"]
    [paid] = published("payout.paid")
    assert paid["payout_id"] == payout["id"] and paid["amount"] == "60.00" and paid["provider"] == "sandbox"
    assert reconcile().ok


def test_the_sandbox_fails_a_payout_ending_in_13_and_the_money_comes_back(seller):
    give_available(seller.id, "100.00")
    seller.client.post(PAYOUTS, {"amount": "25.13", "currency": "USD"}, format="json")
    services.pay_pending_payouts()
    payout = Payout.objects.get()
    assert payout.status == "failed" and ".13" in payout.failure_reason
    balance = Balance.objects.get(user_id=seller.id)
    assert (balance.available, balance.in_transit, balance.withdrawn) == (Decimal("100.00"), 0, 0)
    [failed] = published("payout.failed")
    assert failed["amount"] == "25.13" and failed["reason"] == payout.failure_reason
    assert reconcile().ok


def test_more_than_available_is_409_and_changes_nothing(seller):
    give_available(seller.id, "30.00")
    problem(seller.client.post(PAYOUTS, {"amount": "30.01", "currency": "USD"}, format="json"), 409)
    problem(seller.client.post(PAYOUTS, {"amount": "30.00", "currency": "EUR"}, format="json"), 409)
    assert not Payout.objects.exists()
    assert Balance.objects.get(user_id=seller.id, currency="USD").available == Decimal("30.00")


@pytest.mark.parametrize("body, field", [
    ({"amount": 25.5, "currency": "USD"}, "amount"),  # a JSON float
    ({"amount": 25, "currency": "USD"}, "amount"),  # a JSON number at all
    ({"amount": "25.505", "currency": "USD"}, "amount"),
    ({"amount": "-25.00", "currency": "USD"}, "amount"),
    ({"amount": "0", "currency": "USD"}, "amount"),
    ({"amount": "1e3", "currency": "USD"}, "amount"),
    ({"amount": "NaN", "currency": "USD"}, "amount"),
    ({"amount": "19.99", "currency": "USD"}, "amount"),  # under the minimum
    ({"amount": "25.00", "currency": "usd"}, "currency"),
    ({"amount": "25.00"}, "currency"),
    ({"amount": "25.00", "currency": "USD", "iban": "x"}, "iban"),
])
def test_bad_input_is_a_400_naming_the_field(seller, body, field):
    give_available(seller.id, "100.00")
    assert field in problem(seller.client.post(PAYOUTS, body, format="json"), 400)["errors"]
    assert not Payout.objects.exists()


def test_a_float_in_the_raw_body_is_refused(seller):
    give_available(seller.id, "100.00")
    response = seller.client.post(PAYOUTS, b'{"amount": 25.50, "currency": "USD"}', content_type="application/json")
    assert "amount" in problem(response, 400)["errors"]


def test_without_the_seller_role_payouts_are_403_and_nobody_sees_anothers(party, seller):
    buyer = party()
    problem(buyer.client.post(PAYOUTS, {"amount": "25.00", "currency": "USD"}, format="json"), 403)
    problem(buyer.client.get(PAYOUTS), 403)
    give_available(seller.id, "100.00")
    seller.client.post(PAYOUTS, {"amount": "25.00", "currency": "USD"}, format="json")
    other = party("seller")
    assert other.client.get(PAYOUTS).json()["count"] == 0
    assert other.client.get(f"{PAYMENTS}/ledger").json()["count"] == 0
    assert seller.client.get(PAYOUTS).json()["count"] == 1


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_payouts_against_a_balance_covering_three(client_for):
    seller_id = "3f8e2a9c-5b1d-4c7e-9a2f-6d0b8e4c1a73"
    give_available(seller_id, "75.00")
    clients = [client_for(user_id=seller_id, roles=("buyer", "seller")) for _ in range(20)]
    start = threading.Barrier(20)
    statuses = []

    def request(client):
        try:
            start.wait()
            statuses.append(client.post(PAYOUTS, {"amount": "25.00", "currency": "USD"}, format="json").status_code)
        finally:
            connection.close()  # each thread had its own connection

    threads = [threading.Thread(target=request, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [201] * 3 + [409] * 17
    balance = Balance.objects.get(user_id=seller_id)
    assert (balance.available, balance.in_transit) == (0, Decimal("75.00"))
    assert Payout.objects.count() == 3 and LedgerTransaction.objects.filter(kind="payout").count() == 3
    assert reconcile().ok


def test_the_same_idempotency_key_pays_out_once_and_another_body_is_409(seller):
    give_available(seller.id, "100.00")
    body = {"amount": "30.00", "currency": "USD"}
    first = seller.client.post(PAYOUTS, body, format="json", HTTP_IDEMPOTENCY_KEY="withdraw-1")
    again = seller.client.post(PAYOUTS, body, format="json", HTTP_IDEMPOTENCY_KEY="withdraw-1")
    assert first.status_code == again.status_code == 201 and again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    problem(seller.client.post(PAYOUTS, {**body, "amount": "31.00"}, format="json", HTTP_IDEMPOTENCY_KEY="withdraw-1"),
            409)
    assert Payout.objects.count() == 1
    assert Balance.objects.get(user_id=seller.id).available == Decimal("70.00")
