"""Reads of the payment service."""

from __future__ import annotations

from django.db.models import F, QuerySet

from .models import Balance, LedgerEntry, Payout


def balances_of(user_id) -> QuerySet[Balance]:
    return Balance.objects.filter(user_id=user_id).order_by("currency")


def ledger_of(user_id) -> QuerySet[LedgerEntry]:
    """The caller's own entries (their buyer and seller accounts), newest first, with their movement's facts."""
    return (LedgerEntry.objects.filter(owner_id=user_id)
            .annotate(kind=F("transaction__kind"), order_id=F("transaction__order_id"),
                      payout_id=F("transaction__payout_id"))
            .order_by("-created_at", "-id"))


def payouts_of(seller_id) -> QuerySet[Payout]:
    return Payout.objects.filter(seller_id=seller_id).order_by("-created_at", "-id")
