"""The payment service's tables: the orders' money terms, checkouts, refunds, payouts, and the ledger.

The ledger is the truth about money: every movement is a ``LedgerTransaction`` whose ``LedgerEntry``
rows sum to zero per currency, and whose unique ``key`` says which fact it records ("payment:<id>",
"earning:<order id>"...), so no fact can be written twice, even by a step retried after a crash.
``Balance`` is the sellers' running totals of their accounts, kept in the same transaction as the
entries (``reconcile`` proves they agree), and the row a payout locks.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone

MONEY = {"max_digits": 12, "decimal_places": 2}


class Provider(models.TextChoices):
    SANDBOX = "sandbox"
    STRIPE = "stripe"


class OrderStatus(models.TextChoices):
    PLACED = "placed"
    PAID = "paid"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class OrderTerms(models.Model):
    """An order's money terms as ``order.placed`` set them, and how far the order got (order.* events)."""

    order_id = models.UUIDField(primary_key=True)
    buyer_id = models.UUIDField(db_index=True)
    seller_id = models.UUIDField(db_index=True)
    title = models.CharField(max_length=100)
    price = models.DecimalField(**MONEY)
    service_fee = models.DecimalField(**MONEY)
    total = models.DecimalField(**MONEY, help_text="What the buyer pays: price + service fee.")
    seller_earnings = models.DecimalField(**MONEY, help_text="The price less the platform's commission.")
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=10, choices=OrderStatus.choices, default=OrderStatus.PLACED)
    placed_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "order terms"
        constraints = [
            models.CheckConstraint(condition=Q(total=models.F("price") + models.F("service_fee")),
                                   name="terms_total_is_price_plus_fee"),
            models.CheckConstraint(condition=Q(seller_earnings__gte=0) & Q(seller_earnings__lte=models.F("price")),
                                   name="terms_earnings_within_price"),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.total} {self.currency})"

    @property
    def platform_fee(self):
        """The buyer's service fee plus the seller's commission: what the platform keeps."""
        return self.total - self.seller_earnings


class PaymentStatus(models.TextChoices):
    REQUIRES_PAYMENT = "requires_payment"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    REFUNDED = "refunded"
    PARTIALLY_REFUNDED = "partially_refunded"


class Payment(models.Model):
    """A checkout: the buyer's payment of an order's total through one provider, for life."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    order_id = models.UUIDField(db_index=True)
    buyer_id = models.UUIDField()
    provider = models.CharField(max_length=20, choices=Provider.choices)
    provider_reference = models.CharField(max_length=255)
    amount = models.DecimalField(**MONEY)
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=20, choices=PaymentStatus.choices, default=PaymentStatus.REQUIRES_PAYMENT)
    refunded_amount = models.DecimalField(**MONEY, default=0)
    client_secret = models.CharField(max_length=255)
    failure_reason = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    succeeded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["provider", "provider_reference"], name="payment_provider_reference"),
            # At most one checkout waiting for the buyer per order: two could both be paid.
            models.UniqueConstraint(fields=["order_id"], condition=Q(status="requires_payment"),
                                    name="payment_one_open_per_order"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(condition=Q(refunded_amount__gte=0) & Q(refunded_amount__lte=models.F("amount")),
                                   name="payment_refunds_within_amount"),
        ]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency} ({self.status})"

    @property
    def refundable(self):
        return self.amount - self.refunded_amount


class ProviderEvent(models.Model):
    """A provider's webhook event already applied: the same (provider, id) again changes nothing."""

    provider = models.CharField(max_length=20, choices=Provider.choices)
    event_id = models.CharField(max_length=255)
    type = models.CharField(max_length=40)
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="provider_events")
    outcome = models.CharField(max_length=20)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["provider", "event_id"], name="provider_event_once")]


class RefundStatus(models.TextChoices):
    REQUESTED = "requested"  # decided, not yet sent to the provider (the scheduler sends it)
    PENDING = "pending"  # the provider accepted it and confirms it later by webhook
    SUCCEEDED = "succeeded"


class Refund(models.Model):
    """Money going back to the buyer. ``idempotency_key`` is the provider's: the same refund asked twice
    (a retried handler, a worker killed after the provider answered) is one refund."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    order_id = models.UUIDField(db_index=True)
    sequence = models.PositiveIntegerField(help_text="1 for the order's first refund, 2 for the next...")
    amount = models.DecimalField(**MONEY)
    currency = models.CharField(max_length=3)
    idempotency_key = models.CharField(max_length=255, unique=True)
    status = models.CharField(max_length=10, choices=RefundStatus.choices, default=RefundStatus.REQUESTED)
    provider_reference = models.CharField(max_length=255, blank=True)
    reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    succeeded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["order_id", "sequence"], name="refund_sequence_per_order"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive"),
        ]


class PayoutStatus(models.TextChoices):
    PENDING = "pending"
    PAID = "paid"
    FAILED = "failed"


class Payout(models.Model):
    """A seller's withdrawal of available money; the scheduler sends it through the provider."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    seller_id = models.UUIDField()
    amount = models.DecimalField(**MONEY)
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=10, choices=PayoutStatus.choices, default=PayoutStatus.PENDING)
    provider = models.CharField(max_length=20, choices=Provider.choices)
    provider_reference = models.CharField(max_length=255, blank=True)
    failure_reason = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    paid_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["seller_id", "-created_at"], name="payout_seller_idx"),
            models.Index(fields=["status", "created_at"], name="payout_status_idx"),
        ]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="payout_amount_positive")]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency} ({self.status})"


class Account(models.TextChoices):
    BUYER = "buyer", "buyer (money from and back to the outside)"
    ESCROW = "escrow"
    PLATFORM_FEES = "platform_fees"
    SELLER_PENDING = "seller_pending"
    SELLER_AVAILABLE = "seller_available"
    PAYOUTS_IN_TRANSIT = "payouts_in_transit"
    SELLER_WITHDRAWN = "seller_withdrawn"


class Movement(models.TextChoices):
    PAYMENT = "payment"
    EARNING = "earning"
    CLEARANCE = "clearance"
    PAYOUT = "payout"
    PAYOUT_PAID = "payout_paid"
    PAYOUT_FAILED = "payout_failed"
    REFUND = "refund"


class LedgerTransaction(models.Model):
    """One balanced movement of money; ``key`` names the fact it records, once."""

    kind = models.CharField(max_length=20, choices=Movement.choices)
    key = models.CharField(max_length=120, unique=True)
    order_id = models.UUIDField(null=True, blank=True, db_index=True)
    payout_id = models.UUIDField(null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.key


class LedgerEntry(models.Model):
    """One leg of a movement: a signed amount on an account (an owner's, or the platform's)."""

    transaction = models.ForeignKey(LedgerTransaction, on_delete=models.PROTECT, related_name="entries")
    account = models.CharField(max_length=20, choices=Account.choices)
    owner_id = models.UUIDField(null=True, blank=True, help_text="Empty for the platform's accounts.")
    amount = models.DecimalField(**MONEY)
    currency = models.CharField(max_length=3)
    available_at = models.DateTimeField(null=True, blank=True,
                                        help_text="For a pending earning: when it clears.")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "ledger entries"
        indexes = [
            models.Index(fields=["owner_id", "-created_at"], name="entry_owner_idx"),
            models.Index(fields=["account", "available_at"], name="entry_clearing_idx",
                         condition=Q(available_at__isnull=False)),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="entry_amount_not_zero"),
            models.CheckConstraint(condition=Q(account__in=["escrow", "platform_fees"], owner_id__isnull=True)
                                   | (~Q(account__in=["escrow", "platform_fees"]) & Q(owner_id__isnull=False)),
                                   name="entry_owner_matches_account"),
        ]


class Balance(models.Model):
    """A user's totals in one currency, moved with the entries of their seller accounts."""

    user_id = models.UUIDField()
    currency = models.CharField(max_length=3)
    pending = models.DecimalField(**MONEY, default=0)
    available = models.DecimalField(**MONEY, default=0)
    in_transit = models.DecimalField(**MONEY, default=0)
    withdrawn = models.DecimalField(**MONEY, default=0)
    lifetime_earnings = models.DecimalField(**MONEY, default=0)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user_id", "currency"], name="balance_per_user_currency"),
            # The last line of defence: a bug that would overdraw fails the whole transaction instead.
            models.CheckConstraint(condition=Q(pending__gte=0), name="balance_pending_not_negative"),
            models.CheckConstraint(condition=Q(available__gte=0), name="balance_available_not_negative"),
            models.CheckConstraint(condition=Q(in_transit__gte=0), name="balance_in_transit_not_negative"),
            models.CheckConstraint(condition=Q(withdrawn__gte=0), name="balance_withdrawn_not_negative"),
            models.CheckConstraint(condition=Q(lifetime_earnings__gte=0), name="balance_lifetime_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.currency}"
