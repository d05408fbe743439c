from decimal import Decimal

from django.core.management import call_command
import pytest

from payments import services
from payments.models import Balance, LedgerEntry, Payment

from .conftest import complete


@pytest.fixture
def books(paid, settings):
    """A paid, completed and cleared order, and a payout of part of it."""
    settings.CLEARANCE_DAYS = 0
    order, payment = paid()
    complete(order)
    services.release_cleared_earnings()
    services.request_payout(seller_id=order.seller.id, amount=Decimal("100.00"), currency="USD")
    services.pay_pending_payouts()
    return order, payment


def test_right_books_reconcile_with_a_summary(books, capsys):
    call_command("reconcile")
    out = capsys.readouterr().out
    assert "Reconciled" in out
    assert ("USD: buyer -158.25, escrow 0.00, platform_fees 38.25, seller_pending 0.00, seller_available 20.00, "
            "payouts_in_transit 0.00, seller_withdrawn 100.00; sum 0.00") in out


def _fails(capsys) -> str:
    with pytest.raises(SystemExit) as exit_:
        call_command("reconcile")
    assert exit_.value.code == 1
    return capsys.readouterr().err


def test_an_unbalanced_movement_is_reported_with_exit_1(books, capsys):
    entry = LedgerEntry.objects.get(transaction__kind="earning", account="platform_fees")
    LedgerEntry.objects.filter(pk=entry.pk).update(amount=Decimal("38.24"))
    err = _fails(capsys)
    assert f"movement earning:{books[0].id} sums to -0.01 USD" in err
    assert "the entries in USD sum to -0.01, not 0" in err


def test_a_balance_that_is_not_its_entries_is_reported(books, capsys):
    Balance.objects.filter(user_id=books[0].seller.id).update(available=Decimal("20.01"))
    assert "available is 20.01, its entries say 20.00" in _fails(capsys)


def test_a_succeeded_payment_without_its_movement_is_reported(books, capsys):
    Payment.objects.filter(pk=books[1]["id"]).update(status="failed")
    assert "records a payment that did not succeed" in _fails(capsys)
