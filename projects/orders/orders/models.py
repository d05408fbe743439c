"""Orders with their money terms and timeline, and the gigs the service sells."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone

from marketplace_libs.files.models import StoredFile

# How events write a package's revisions when there is no limit (NULL in these tables).
UNLIMITED = "unlimited"


class Listing(models.Model):
    """A gig as the order service sells it: the newest ``gig.*`` event's copy, never the client's."""

    gig_id = models.UUIDField(primary_key=True)
    seller_id = models.UUIDField(db_index=True)
    title = models.CharField(max_length=100)
    status = models.CharField(max_length=10)
    deleted = models.BooleanField(default=False)
    revision = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField()

    @property
    def on_sale(self) -> bool:
        return self.status == "active" and not self.deleted

    def __str__(self) -> str:
        return self.title


class ListedPackage(models.Model):
    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="packages")
    tier = models.CharField(max_length=10)
    title = models.CharField(max_length=60)
    price = models.DecimalField(max_digits=9, decimal_places=2)
    currency = models.CharField(max_length=3)
    delivery_days = models.PositiveSmallIntegerField()
    revisions = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Empty means unlimited.")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["listing", "tier"], name="listed_package_one_per_tier")]


class OrderStatus(models.TextChoices):
    PENDING_PAYMENT = "pending_payment"
    IN_PROGRESS = "in_progress"
    DELIVERED = "delivered"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    DISPUTED = "disputed"


class PaymentStatus(models.TextChoices):
    """What the payment service has told of the order's money (payment.* events); it only moves forward:
    unpaid, paid, partially_refunded, refunded."""

    UNPAID = "unpaid"
    PAID = "paid"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"


class Order(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    gig_id = models.UUIDField(db_index=True)
    package = models.CharField(max_length=10)
    title = models.CharField(max_length=100, help_text="The gig's title when the order was placed.")
    package_title = models.CharField(max_length=60)
    # The money terms (orders/money.py), fixed when the order is placed.
    price = models.DecimalField(max_digits=9, decimal_places=2, help_text="The package's price.")
    service_fee = models.DecimalField(max_digits=10, decimal_places=2, help_text="The buyer's fee.")
    total = models.DecimalField(max_digits=10, decimal_places=2, help_text="What the buyer pays: price + fee.")
    seller_earnings = models.DecimalField(max_digits=10, decimal_places=2,
                                          help_text="What the seller earns: price less the commission.")
    currency = models.CharField(max_length=3)
    buyer_id = models.UUIDField()
    seller_id = models.UUIDField()
    requirements = models.TextField(max_length=5000, blank=True)
    status = models.CharField(max_length=20, choices=OrderStatus.choices, default=OrderStatus.PENDING_PAYMENT)
    delivery_days = models.PositiveSmallIntegerField()
    revisions_allowed = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Empty means unlimited.")
    revisions_used = models.PositiveSmallIntegerField(default=0)
    payment_status = models.CharField(max_length=20, choices=PaymentStatus.choices, default=PaymentStatus.UNPAID)
    refunded_total = models.DecimalField(max_digits=10, decimal_places=2, default=0,
                                         help_text="Refunded to the buyer so far (payment.refunded).")
    created_at = models.DateTimeField(default=timezone.now)
    paid_at = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            models.Index(fields=["buyer_id", "-created_at"], name="order_buyer_idx"),
            models.Index(fields=["seller_id", "-created_at"], name="order_seller_idx"),
            models.Index(fields=["status", "delivered_at"], name="order_status_delivered_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(total=models.F("price") + models.F("service_fee")),
                                   name="order_total_is_price_plus_fee"),
            models.CheckConstraint(condition=models.Q(seller_earnings__gte=0, seller_earnings__lte=models.F("price")),
                                   name="order_earnings_within_price"),
            models.CheckConstraint(condition=models.Q(refunded_total__gte=0, refunded_total__lte=models.F("total")),
                                   name="order_refunds_within_total"),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.status})"

    @property
    def late(self) -> bool:
        """Past its due time and not yet delivered (or delivered after it)."""
        if self.due_at is None or self.status == OrderStatus.CANCELLED:
            return False
        delivered = self.delivered_at if self.status in (OrderStatus.DELIVERED, OrderStatus.COMPLETED) else None
        return (delivered or timezone.now()) > self.due_at

    @property
    def revisions_left(self) -> int | None:
        return None if self.revisions_allowed is None else max(0, self.revisions_allowed - self.revisions_used)


class TimelineEntry(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="timeline")
    type = models.CharField(max_length=40)
    actor_id = models.UUIDField(null=True, blank=True, help_text="Empty for the system or the payment service.")
    message = models.TextField(max_length=5000, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]
        verbose_name_plural = "timeline"


class OrderFile(StoredFile):
    """A file a party uploaded to the order: the buyer's (a brief, shown to the seller at once) or the
    seller's (shown to the buyer once delivered with it)."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="files")
    delivery = models.ForeignKey(TimelineEntry, on_delete=models.SET_NULL, null=True, blank=True, related_name="files",
                                 help_text="The delivery (its timeline entry) that carried it.")

    class Meta:
        ordering = ["created_at", "id"]

    def visible_to(self, user_id) -> bool:
        return str(self.uploaded_by) in (str(user_id), str(self.order.buyer_id)) or self.delivery_id is not None


class ExtensionStatus(models.TextChoices):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"


class Extension(models.Model):
    """The seller's request for more time; the buyer accepts (``due_at`` moves by ``days``) or declines it."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="extensions")
    days = models.PositiveSmallIntegerField()
    reason = models.TextField(max_length=1000)
    status = models.CharField(max_length=10, choices=ExtensionStatus.choices, default=ExtensionStatus.PENDING)
    created_at = models.DateTimeField(default=timezone.now)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # Two requests at once: the second insert fails here even if both passed the check in services.
            models.UniqueConstraint(fields=["order"], condition=models.Q(status="pending"),
                                    name="extension_one_pending_per_order"),
            models.CheckConstraint(condition=models.Q(days__gte=1, days__lte=30), name="extension_days_1_to_30"),
        ]

    def __str__(self) -> str:
        return f"+{self.days} days ({self.status})"


class DisputeStatus(models.TextChoices):
    OPEN = "open"
    RESOLVED = "resolved"


class DisputeOutcome(models.TextChoices):
    REFUND_BUYER = "refund_buyer", "Refund the buyer in full (the order is cancelled)"
    RELEASE_TO_SELLER = "release_to_seller", "Release the money to the seller (the order completes)"
    PARTIAL_REFUND = "partial_refund", "Refund part to the buyer, the rest to the seller (the order completes)"


class Dispute(models.Model):
    """A party contests the order; staff resolve it with one of three outcomes. One per order: the order
    is frozen while it is open and finished (completed or cancelled) once it is resolved."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    order = models.OneToOneField(Order, on_delete=models.CASCADE, related_name="dispute")
    opened_by = models.UUIDField()
    opened_in_status = models.CharField(max_length=20, help_text="The order's status when the dispute opened.")
    reason = models.CharField(max_length=200)
    details = models.TextField(max_length=5000, blank=True)
    status = models.CharField(max_length=10, choices=DisputeStatus.choices, default=DisputeStatus.OPEN)
    outcome = models.CharField(max_length=20, choices=DisputeOutcome.choices, blank=True)
    refund_amount = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True,
                                        help_text="What goes back to the buyer (partial_refund; refund_buyer: "
                                                  "everything not refunded yet).")
    files = models.ManyToManyField("OrderFile", blank=True, related_name="disputes",
                                   help_text="The order's files the party cites (a delivery, a brief).")
    resolution_note = models.TextField(max_length=2000, blank=True)
    resolved_by = models.CharField(max_length=150, blank=True, help_text="The staff member's username.")
    created_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(status="open", outcome="", resolved_at__isnull=True)
                                   | (models.Q(status="resolved", resolved_at__isnull=False) & ~models.Q(outcome="")),
                                   name="dispute_resolution_complete"),
            models.CheckConstraint(condition=models.Q(refund_amount__isnull=True) | models.Q(refund_amount__gt=0),
                                   name="dispute_refund_positive"),
        ]

    def __str__(self) -> str:
        return f"Dispute of {self.order_id} ({self.status})"


class Conversation(models.Model):
    """Who takes part in a chat conversation (``conversation.started``): an offer is made in one, between
    its two participants. The chat service owns conversations; this is its copy of the pair."""

    conversation_id = models.UUIDField(primary_key=True)
    user_low = models.UUIDField(help_text="The smaller participant id.")
    user_high = models.UUIDField()
    gig_id = models.UUIDField(null=True, blank=True, help_text="The gig the conversation began about, if any.")
    started_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["user_low", "user_high"], name="conversation_pair_idx")]

    @property
    def participants(self) -> set[str]:
        return {str(self.user_low), str(self.user_high)}


class OfferStatus(models.TextChoices):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"
    EXPIRED = "expired"


class Offer(models.Model):
    """A seller's custom offer to a buyer in their conversation: a proposed order, sold under one of the
    seller's gigs. Accepting it places the order at its terms (docs/orders.md, "Custom offers")."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    conversation_id = models.UUIDField()
    seller_id = models.UUIDField()
    buyer_id = models.UUIDField()
    gig_id = models.UUIDField(help_text="The seller's gig the order is sold under (its reviews and sales count).")
    title = models.CharField(max_length=100)
    description = models.TextField(max_length=5000, blank=True)
    price = models.DecimalField(max_digits=9, decimal_places=2)
    currency = models.CharField(max_length=3)
    delivery_days = models.PositiveSmallIntegerField()
    revisions = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Empty means unlimited.")
    status = models.CharField(max_length=10, choices=OfferStatus.choices, default=OfferStatus.PENDING)
    expires_at = models.DateTimeField()
    order = models.OneToOneField(Order, on_delete=models.PROTECT, null=True, blank=True, related_name="offer")
    created_at = models.DateTimeField(default=timezone.now)
    answered_at = models.DateTimeField(null=True, blank=True, help_text="Accepted, declined, withdrawn or expired.")

    class Meta:
        ordering = ["-created_at", "id"]
        indexes = [
            models.Index(fields=["buyer_id", "-created_at"], name="offer_buyer_idx"),
            models.Index(fields=["seller_id", "-created_at"], name="offer_seller_idx"),
            models.Index(fields=["expires_at"], name="offer_pending_expiry_idx", condition=models.Q(status="pending")),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(price__gt=0), name="offer_price_positive"),
            models.CheckConstraint(condition=models.Q(delivery_days__gte=1), name="offer_delivery_days_positive"),
            models.CheckConstraint(condition=~models.Q(seller_id=models.F("buyer_id")), name="offer_not_to_oneself"),
            # An accepted offer has its order, and only an accepted one.
            models.CheckConstraint(condition=models.Q(status="accepted", order__isnull=False)
                                   | (~models.Q(status="accepted") & models.Q(order__isnull=True)),
                                   name="offer_order_iff_accepted"),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.status})"


class SubmittedReview(models.Model):
    """A party of a completed order has written their review (``review.submitted``, or ``review.published``, which
    implies it): what the summary's ``awaiting_your_review`` needs to know, without the review itself."""

    order_id = models.UUIDField()
    direction = models.CharField(max_length=15, help_text="buyer_to_seller or seller_to_buyer")
    submitted_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["order_id", "direction"], name="submitted_review_once")]

    def __str__(self) -> str:
        return f"{self.order_id} {self.direction}"
