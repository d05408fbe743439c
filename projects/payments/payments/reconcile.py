"""The ledger's proof of itself: what ``manage.py reconcile`` checks.

1. every movement has entries, and they sum to zero in each currency;
2. the sum of every entry, per currency, is zero (so the books as a whole balance);
3. every Balance row equals the entries of its owner's seller accounts (and no entries lack a row);
4. every payment that succeeded has its payment movement, and every payment movement its payment;
5. every payout has its request movement, and a paid or failed one its outcome's movement.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Sum

from .ledger import BALANCE_COLUMNS
from .models import (
    Account, Balance, LedgerEntry, LedgerTransaction, Movement, Payment, PaymentStatus, Payout, PayoutStatus,
)


@dataclass
class Report:
    summary: list[str] = field(default_factory=list)
    differences: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.differences


def reconcile() -> Report:
    report = Report()
    _movements_balance(report)
    _books_balance(report)
    _balances_match_entries(report)
    _payments_have_movements(report)
    _payouts_have_movements(report)
    return report


def _movements_balance(report: Report) -> None:
    count = LedgerTransaction.objects.count()
    report.summary.append(f"{count} movements, {LedgerEntry.objects.count()} entries")
    for key in LedgerTransaction.objects.annotate(legs=Count("entries")).filter(legs=0).values_list("key", flat=True):
        report.differences.append(f"movement {key} has no entries")
    unbalanced = (LedgerEntry.objects.values("transaction__key", "currency").annotate(total=Sum("amount"))
                  .exclude(total=0).order_by("transaction__key"))
    for row in unbalanced:
        report.differences.append(f"movement {row['transaction__key']} sums to {row['total']} {row['currency']}")


def _books_balance(report: Report) -> None:
    by_account = defaultdict(lambda: defaultdict(Decimal))
    for row in LedgerEntry.objects.values("currency", "account").annotate(total=Sum("amount")):
        by_account[row["currency"]][row["account"]] = row["total"]
    for currency, accounts in sorted(by_account.items()):
        total = sum(accounts.values(), Decimal("0"))
        figures = ", ".join(f"{account} {accounts[account]:.2f}" for account in Account.values if account in accounts)
        report.summary.append(f"{currency}: {figures}; sum {total:.2f}")
        if total != 0:
            report.differences.append(f"the entries in {currency} sum to {total}, not 0")


def _balances_match_entries(report: Report) -> None:
    expected: dict[tuple, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    seller_accounts = list(BALANCE_COLUMNS)
    for row in (LedgerEntry.objects.filter(account__in=seller_accounts)
                .values("owner_id", "currency", "account").annotate(total=Sum("amount"))):
        expected[(row["owner_id"], row["currency"])][BALANCE_COLUMNS[row["account"]]] = row["total"]
    for row in (LedgerEntry.objects.filter(account=Account.SELLER_PENDING, transaction__kind=Movement.EARNING)
                .values("owner_id", "currency").annotate(total=Sum("amount"))):
        expected[(row["owner_id"], row["currency"])]["lifetime_earnings"] = row["total"]
    columns = [*BALANCE_COLUMNS.values(), "lifetime_earnings"]
    rows = {(balance.user_id, balance.currency): balance for balance in Balance.objects.all()}
    report.summary.append(f"{len(rows)} balances")
    for key in sorted(set(expected) | set(rows), key=str):
        balance = rows.get(key)
        for column in columns:
            kept = getattr(balance, column) if balance is not None else Decimal("0")
            computed = expected.get(key, {}).get(column, Decimal("0"))
            if kept != computed:
                report.differences.append(f"balance of {key[0]} in {key[1]}: {column} is {kept}, "
                                          f"its entries say {computed}")


def _payments_have_movements(report: Report) -> None:
    paid = (PaymentStatus.SUCCEEDED, PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED)
    payment_keys = set(LedgerTransaction.objects.filter(kind=Movement.PAYMENT).values_list("key", flat=True))
    paid_ids = {str(pk) for pk in Payment.objects.filter(status__in=paid).values_list("pk", flat=True)}
    report.summary.append(f"{len(paid_ids)} payments received")
    for payment_id in sorted(paid_ids - {key.removeprefix("payment:") for key in payment_keys}):
        report.differences.append(f"payment {payment_id} succeeded but has no payment movement")
    for key in sorted(payment_keys - {f"payment:{pk}" for pk in paid_ids}):
        report.differences.append(f"movement {key} records a payment that did not succeed")


def _payouts_have_movements(report: Report) -> None:
    keys = set(LedgerTransaction.objects.filter(payout_id__isnull=False).values_list("key", flat=True))
    payouts = Payout.objects.values_list("pk", "status")
    report.summary.append(f"{len(payouts)} payouts")
    for payout_id, status in payouts:
        needed = [f"payout:{payout_id}"]
        if status == PayoutStatus.PAID:
            needed.append(f"payout_paid:{payout_id}")
        if status == PayoutStatus.FAILED:
            needed.append(f"payout_failed:{payout_id}")
        for key in needed:
            if key not in keys:
                report.differences.append(f"payout {payout_id} is {status} but has no {key.split(':')[0]} movement")
        unexpected = {f"payout_paid:{payout_id}", f"payout_failed:{payout_id}"} - set(needed)
        for key in sorted(unexpected & keys):
            report.differences.append(f"payout {payout_id} is {status} but has a {key.split(':')[0]} movement")
