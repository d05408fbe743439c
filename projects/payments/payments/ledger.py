"""The double-entry ledger: one posting function, and the movements the service writes with it.

``post`` writes a movement (a ``LedgerTransaction`` and its entries) and moves the owners' ``Balance``
rows in the caller's transaction. It refuses a movement whose entries do not sum to zero in each
currency, and writes nothing when a movement with the same ``key`` exists: a step retried after a
crash, or a redelivered event, finds its fact already recorded. Callers run it inside
``transaction.atomic()`` with whatever row they decide on locked.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from .models import Account, Balance, LedgerEntry, LedgerTransaction, Movement, OrderTerms, Payment, Payout

# Which Balance column each seller account moves.
BALANCE_COLUMNS = {
    Account.SELLER_PENDING: "pending",
    Account.SELLER_AVAILABLE: "available",
    Account.PAYOUTS_IN_TRANSIT: "in_transit",
    Account.SELLER_WITHDRAWN: "withdrawn",
}


class UnbalancedMovement(ValueError):
    """A programming error: a movement must sum to zero in each currency."""


@dataclass(frozen=True)
class Leg:
    account: str
    amount: Decimal
    currency: str
    owner_id: object = None
    available_at: datetime | None = None


def post(*, kind: str, key: str, legs: list[Leg], order_id=None, payout_id=None,
         at: datetime | None = None) -> LedgerTransaction | None:
    """Record the movement ``key`` once; None if it was already recorded (nothing written)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("ledger.post() must run inside the transaction of the change it records")
    _check_balanced(key, legs)
    at = at or timezone.now()
    try:
        with transaction.atomic():  # a savepoint: a duplicate key leaves the caller's transaction usable
            movement = LedgerTransaction.objects.create(kind=kind, key=key, order_id=order_id, payout_id=payout_id,
                                                        created_at=at)
    except IntegrityError:
        if LedgerTransaction.objects.filter(key=key).exists():
            return None
        raise
    LedgerEntry.objects.bulk_create(
        LedgerEntry(transaction=movement, account=leg.account, owner_id=leg.owner_id, amount=leg.amount,
                    currency=leg.currency, available_at=leg.available_at, created_at=at)
        for leg in legs)
    _move_balances(kind, legs, at)
    return movement


def _check_balanced(key: str, legs: list[Leg]) -> None:
    if not legs:
        raise UnbalancedMovement(f"{key}: a movement needs entries")
    sums: dict[str, Decimal] = defaultdict(Decimal)
    for leg in legs:
        if leg.amount == 0:
            raise UnbalancedMovement(f"{key}: an entry of zero on {leg.account}")
        if leg.amount != leg.amount.quantize(Decimal("0.01")):
            raise UnbalancedMovement(f"{key}: {leg.amount} is not a whole number of cents")
        sums[leg.currency] += leg.amount
    unbalanced = {currency: total for currency, total in sums.items() if total != 0}
    if unbalanced:
        raise UnbalancedMovement(f"{key}: the entries do not sum to zero: {unbalanced}")


def _move_balances(kind: str, legs: list[Leg], at: datetime) -> None:
    changes: dict[tuple, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for leg in legs:
        column = BALANCE_COLUMNS.get(leg.account)
        if column is None:
            continue
        changes[(leg.owner_id, leg.currency)][column] += leg.amount
        if kind == Movement.EARNING and leg.account == Account.SELLER_PENDING:
            changes[(leg.owner_id, leg.currency)]["lifetime_earnings"] += leg.amount
    for (owner_id, currency), deltas in changes.items():
        ensure_balance(owner_id, currency)
        Balance.objects.filter(user_id=owner_id, currency=currency).update(
            updated_at=at, **{column: F(column) + delta for column, delta in deltas.items()})


def ensure_balance(user_id, currency: str) -> None:
    """The (user, currency) row exists afterwards; concurrent callers do not collide."""
    Balance.objects.bulk_create([Balance(user_id=user_id, currency=currency)], ignore_conflicts=True)


# --- the movements ---------------------------------------------------------------------------------

def post_payment(payment: Payment, terms: OrderTerms) -> LedgerTransaction | None:
    """The buyer's money arrived: it is held in escrow until the order completes or is cancelled."""
    return post(kind=Movement.PAYMENT, key=f"payment:{payment.pk}", order_id=payment.order_id, legs=[
        Leg(Account.BUYER, -payment.amount, payment.currency, owner_id=payment.buyer_id),
        Leg(Account.ESCROW, payment.amount, payment.currency),
    ], at=payment.succeeded_at)


def post_earning(terms: OrderTerms, *, refunded: Decimal = Decimal("0")) -> LedgerTransaction | None:
    """The order completed: escrow pays the platform its fee and commission, the seller's share is pending
    until ``CLEARANCE_DAYS`` after completion.

    What was refunded before completion (a dispute's partial refund) is no longer in escrow; it comes out
    of the seller's share first and out of the platform's only beyond it (the seller did not deliver what
    the refund paid back). Nothing is posted when everything went back."""
    held = terms.total - refunded
    if held <= 0:
        return None
    seller_share = max(Decimal("0"), terms.seller_earnings - refunded)
    platform_share = held - seller_share
    available_at = terms.completed_at + timedelta(days=settings.CLEARANCE_DAYS)
    legs = [Leg(Account.ESCROW, -held, terms.currency)]
    if seller_share:
        legs.append(Leg(Account.SELLER_PENDING, seller_share, terms.currency, owner_id=terms.seller_id,
                        available_at=available_at))
    if platform_share:
        legs.append(Leg(Account.PLATFORM_FEES, platform_share, terms.currency))
    return post(kind=Movement.EARNING, key=f"earning:{terms.order_id}", order_id=terms.order_id, legs=legs)


def post_clearance(*, order_id, seller_id, amount: Decimal, currency: str) -> LedgerTransaction | None:
    return post(kind=Movement.CLEARANCE, key=f"clearance:{order_id}", order_id=order_id, legs=[
        Leg(Account.SELLER_PENDING, -amount, currency, owner_id=seller_id),
        Leg(Account.SELLER_AVAILABLE, amount, currency, owner_id=seller_id),
    ])


def post_payout_requested(payout: Payout) -> LedgerTransaction | None:
    return post(kind=Movement.PAYOUT, key=f"payout:{payout.pk}", payout_id=payout.pk, at=payout.created_at, legs=[
        Leg(Account.SELLER_AVAILABLE, -payout.amount, payout.currency, owner_id=payout.seller_id),
        Leg(Account.PAYOUTS_IN_TRANSIT, payout.amount, payout.currency, owner_id=payout.seller_id),
    ])


def post_payout_paid(payout: Payout) -> LedgerTransaction | None:
    return post(kind=Movement.PAYOUT_PAID, key=f"payout_paid:{payout.pk}", payout_id=payout.pk, at=payout.paid_at,
                legs=[
                    Leg(Account.PAYOUTS_IN_TRANSIT, -payout.amount, payout.currency, owner_id=payout.seller_id),
                    Leg(Account.SELLER_WITHDRAWN, payout.amount, payout.currency, owner_id=payout.seller_id),
                ])


def post_payout_failed(payout: Payout) -> LedgerTransaction | None:
    """The money comes back to the seller's available balance."""
    return post(kind=Movement.PAYOUT_FAILED, key=f"payout_failed:{payout.pk}", payout_id=payout.pk,
                at=payout.failed_at, legs=[
                    Leg(Account.PAYOUTS_IN_TRANSIT, -payout.amount, payout.currency, owner_id=payout.seller_id),
                    Leg(Account.SELLER_AVAILABLE, payout.amount, payout.currency, owner_id=payout.seller_id),
                ])


def post_refund(*, order_id, sequence: int, buyer_id, amount: Decimal, currency: str,
                at: datetime | None = None) -> LedgerTransaction | None:
    """Money held in escrow goes back to the buyer (all of it, or part: a dispute's partial refund)."""
    return post(kind=Movement.REFUND, key=f"refund:{order_id}:{sequence}", order_id=order_id, at=at, legs=[
        Leg(Account.ESCROW, -amount, currency),
        Leg(Account.BUYER, amount, currency, owner_id=buyer_id),
    ])
