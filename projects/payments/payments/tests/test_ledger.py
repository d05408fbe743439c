import uuid
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from payments import ledger
from payments.ledger import Leg, UnbalancedMovement
from payments.models import Account, Balance, LedgerEntry, LedgerTransaction

SELLER = str(uuid.uuid4())


def _post(key="test:1", legs=None, kind="clearance"):
    with transaction.atomic():
        return ledger.post(kind=kind, key=key, legs=legs if legs is not None else [
            Leg(Account.ESCROW, Decimal("-10.00"), "USD"),
            Leg(Account.SELLER_AVAILABLE, Decimal("10.00"), "USD", owner_id=SELLER)])


@pytest.mark.parametrize("legs", [
    [],
    [Leg(Account.ESCROW, Decimal("-10.00"), "USD"), Leg(Account.PLATFORM_FEES, Decimal("9.99"), "USD")],
    [Leg(Account.ESCROW, Decimal("-10.00"), "USD"), Leg(Account.PLATFORM_FEES, Decimal("10.00"), "EUR")],
    [Leg(Account.ESCROW, Decimal("0"), "USD")],
    [Leg(Account.ESCROW, Decimal("-0.005"), "USD"), Leg(Account.PLATFORM_FEES, Decimal("0.005"), "USD")],
], ids=["empty", "off-by-a-cent", "currencies-mixed", "zero", "half-a-cent"])
def test_an_unbalanced_movement_is_refused_and_nothing_is_written(db, legs):
    with pytest.raises(UnbalancedMovement):
        _post(legs=legs)
    assert not LedgerTransaction.objects.exists() and not LedgerEntry.objects.exists()


def test_a_movement_balanced_per_currency_is_written_with_the_balances(db):
    movement = _post(legs=[
        Leg(Account.ESCROW, Decimal("-10.00"), "USD"), Leg(Account.SELLER_AVAILABLE, Decimal("10.00"), "USD",
                                                            owner_id=SELLER),
        Leg(Account.ESCROW, Decimal("-5.00"), "EUR"), Leg(Account.SELLER_AVAILABLE, Decimal("5.00"), "EUR",
                                                           owner_id=SELLER)])
    assert movement.entries.count() == 4
    assert {(b.currency, b.available) for b in Balance.objects.filter(user_id=SELLER)} == {
        ("USD", Decimal("10.00")), ("EUR", Decimal("5.00"))}


def test_the_same_key_is_written_once(db):
    assert _post() is not None
    assert _post() is None
    assert LedgerTransaction.objects.count() == 1 and LedgerEntry.objects.count() == 2
    assert Balance.objects.get(user_id=SELLER).available == Decimal("10.00")


@pytest.mark.django_db(transaction=True)
def test_posting_outside_a_transaction_is_a_programming_error():
    with pytest.raises(RuntimeError):
        ledger.post(kind="clearance", key="k", legs=[Leg(Account.ESCROW, Decimal("1.00"), "USD")])


def test_a_balance_never_goes_below_zero_even_if_a_caller_forgets_to_check(db):
    with pytest.raises(IntegrityError):
        _post(legs=[Leg(Account.SELLER_AVAILABLE, Decimal("-1.00"), "USD", owner_id=SELLER),
                    Leg(Account.PAYOUTS_IN_TRANSIT, Decimal("1.00"), "USD", owner_id=SELLER)])
    assert not LedgerTransaction.objects.exists()


def test_a_platform_account_has_no_owner_and_a_seller_account_has_one(db):
    with pytest.raises(IntegrityError):
        _post(legs=[Leg(Account.ESCROW, Decimal("-1.00"), "USD", owner_id=SELLER),
                    Leg(Account.SELLER_AVAILABLE, Decimal("1.00"), "USD", owner_id=SELLER)])
    with pytest.raises(IntegrityError):
        _post(legs=[Leg(Account.ESCROW, Decimal("-1.00"), "USD"), Leg(Account.SELLER_AVAILABLE, Decimal("1.00"), "USD")])
