"""Reads of the order service."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from .models import Order


# What an order's full rendering reads beside its row.
ORDER_DETAIL = ("timeline", "extensions", "dispute")


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
