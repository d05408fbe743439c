"""Reads of the order service."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Sum
from django.utils import timezone

from .models import Offer, Order, OrderFile, OrderStatus as S, PaymentStatus, SubmittedReview, TimelineEntry

# What one order's full rendering reads beside its row: its timeline (each delivery with its files), its
# files, its extension requests and its dispute (with the files it cites).
ORDER_DETAIL = ("timeline", "timeline__files", "files", "extensions", "dispute", "dispute__files")


def as_just_placed(order: Order, placed: TimelineEntry) -> Order:
    """An order placed this instant, with what its full rendering reads set rather than read: its one
    timeline entry (no files), and no files, extension request or dispute yet."""
    placed._prefetched_objects_cache = {"files": []}
    order._prefetched_objects_cache = {"timeline": [placed], "files": [], "extensions": []}
    Order.dispute.related.set_cached_value(order, None)
    return order


def order_for_party(order_id, user_id) -> Order | None:
    """The order if ``user_id`` is its buyer or seller; None for anyone else (a 404: never reveal it)."""
    return (Order.objects.filter(Q(buyer_id=user_id) | Q(seller_id=user_id), pk=order_id)
            .prefetch_related(*ORDER_DETAIL).first())


def _of_party(rows: QuerySet, user_id, *, role: str | None, status: str | None) -> QuerySet:
    """``rows`` (orders or offers) of ``user_id`` as buyer, seller or either, newest first."""
    if role == "buyer":
        rows = rows.filter(buyer_id=user_id)
    elif role == "seller":
        rows = rows.filter(seller_id=user_id)
    else:
        rows = rows.filter(Q(buyer_id=user_id) | Q(seller_id=user_id))
    if status:
        rows = rows.filter(status=status)
    return rows.order_by("-created_at", "id")


def orders_of(user_id, *, role: str | None = None, status: str | None = None) -> QuerySet[Order]:
    return _of_party(Order.objects.all(), user_id, role=role, status=status)


def files_for(order: Order, user_id) -> list[OrderFile]:
    """The order's files ``user_id`` may see: their own, the buyer's, and every delivered one."""
    return [order_file for order_file in order.files.all() if order_file.visible_to(user_id)]


def file_for(order: Order, file_id, user_id) -> OrderFile | None:
    order_file = OrderFile.objects.filter(order=order, pk=file_id).select_related("order").first()
    return order_file if order_file is not None and order_file.visible_to(user_id) else None


def offers_of(user_id, *, role: str | None = None, status: str | None = None) -> QuerySet[Offer]:
    return _of_party(Offer.objects.all(), user_id, role=role, status=status)


def offer_for_party(offer_id, user_id) -> Offer | None:
    return Offer.objects.filter(Q(buyer_id=user_id) | Q(seller_id=user_id), pk=offer_id).first()


# --- GET /api/orders/summary (docs/orders.md, "Summary": what each number counts) ------------------------

BUYER_ACTIVE = (S.PENDING_PAYMENT, S.IN_PROGRESS, S.DELIVERED, S.DISPUTED)
SELLER_ACTIVE = (S.IN_PROGRESS, S.DELIVERED, S.DISPUTED)  # an unpaid order is no work yet
PAID = (PaymentStatus.PAID, PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED)
DUE_SOON = timedelta(hours=24)


def summary_for(user_id, *, now: datetime | None = None) -> dict:
    """The caller's orders counted as buyer and as seller, and what they spent per currency: one grouped
    statement over their orders (a row per currency they traded in), summed here."""
    now = now or timezone.now()
    as_buyer, as_seller = Q(buyer_id=user_id), Q(seller_id=user_id)
    working = as_seller & Q(status=S.IN_PROGRESS)
    # Open while the review service still takes the buyer's review: it refuses from completed_at + the window on.
    reviewable = Q(status=S.COMPLETED, completed_at__gt=now - timedelta(days=settings.REVIEW_WINDOW_DAYS))
    reviewed = Exists(SubmittedReview.objects.filter(order_id=OuterRef("pk"), direction="buyer_to_seller"))
    counts = {
        "buyer_active": Q(status__in=BUYER_ACTIVE) & as_buyer,
        "buyer_awaiting_your_review": as_buyer & reviewable & ~reviewed,
        "buyer_completed": as_buyer & Q(status=S.COMPLETED),
        "buyer_cancelled": as_buyer & Q(status=S.CANCELLED),
        "seller_active": as_seller & Q(status__in=SELLER_ACTIVE),
        # Order.late's rule: late once now is past due_at, so an order due this instant is due, not late.
        "seller_due_within_24h": working & Q(due_at__gte=now, due_at__lte=now + DUE_SOON),
        "seller_late": working & Q(due_at__lt=now),
        "seller_delivered": as_seller & Q(status=S.DELIVERED),
        "seller_completed": as_seller & Q(status=S.COMPLETED),
        "seller_disputed": as_seller & Q(status=S.DISPUTED),
    }
    rows = list(Order.objects.filter(as_buyer | as_seller).order_by().values("currency").annotate(
        **{name: Count("pk", filter=condition) for name, condition in counts.items()},
        spent=Sum(F("total") - F("refunded_total"), filter=as_buyer & Q(payment_status__in=PAID))))
    totals = {name: sum(row[name] for row in rows) for name in counts}
    return {
        "as_buyer": {**{name.removeprefix("buyer_"): totals[name] for name in counts if name.startswith("buyer_")},
                     "spent": [{"amount": row["spent"], "currency": row["currency"]}
                               for row in sorted(rows, key=lambda row: row["currency"]) if row["spent"] is not None]},
        "as_seller": {name.removeprefix("seller_"): totals[name] for name in counts if name.startswith("seller_")},
    }
