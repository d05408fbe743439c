"""Reads of the order service."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from .models import Order, OrderFile, TimelineEntry

# What an order's full rendering reads beside its row: its timeline (each delivery with its files),
# its files, its extension requests and its dispute (with the files it cites).
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


def orders_of(user_id, *, role: str | None = None, status: str | None = None) -> QuerySet[Order]:
    if role == "buyer":
        orders = Order.objects.filter(buyer_id=user_id)
    elif role == "seller":
        orders = Order.objects.filter(seller_id=user_id)
    else:
        orders = Order.objects.filter(Q(buyer_id=user_id) | Q(seller_id=user_id))
    if status:
        orders = orders.filter(status=status)
    return orders.order_by("-created_at", "id")


def files_for(order: Order, user_id) -> list[OrderFile]:
    """The order's files ``user_id`` may see: their own, the buyer's, and every delivered one."""
    return [order_file for order_file in order.files.all() if order_file.visible_to(user_id)]


def file_for(order: Order, file_id, user_id) -> OrderFile | None:
    order_file = OrderFile.objects.filter(order=order, pk=file_id).select_related("order").first()
    return order_file if order_file is not None and order_file.visible_to(user_id) else None
