"""Every write of the order service, and the events it owes the others.

Each transition locks the order's row (SELECT ... FOR UPDATE), checks the step against
``lifecycle.STEPS`` and writes the status, the timeline entry and the event in one transaction:
two concurrent calls on one order are serialised, and the second finds the status already moved (409).
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import structlog
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from marketplace_libs.errors import Conflict, Forbidden, InvalidInput, NotFound, NotYet, Unavailable

from . import events, lifecycle, metrics, payments
from .models import (
    UNLIMITED, Listing, ListedPackage, Order, OrderStatus, PaymentStatus, PaymentWebhookEvent, TimelineEntry,
)
from .payments.webhook import ProviderEvent

log = structlog.get_logger("marketplace.orders")


# --- what is for sale (gig.* events) --------------------------------------------------------

def record_listing(*, data: dict) -> None:
    """``gig.created``/``gig.updated``: keep the newest copy of the gig and its packages."""
    with transaction.atomic():
        listing = Listing.objects.select_for_update().filter(pk=data["gig_id"]).first()
        if listing is not None and data["revision"] <= listing.revision:
            return  # an older copy arriving late
        listing, _ = Listing.objects.update_or_create(gig_id=data["gig_id"], defaults={
            "seller_id": data["seller_id"], "title": data["title"], "status": data["status"],
            "revision": data["revision"], "updated_at": data["updated_at"]})
        listing.packages.all().delete()
        ListedPackage.objects.bulk_create(ListedPackage(
            listing=listing, tier=package["tier"], title=package["title"], price=package["price"],
            currency=package["currency"], delivery_days=package["delivery_days"],
            revisions=None if package["revisions"] == UNLIMITED else package["revisions"],
        ) for package in data["packages"])


def record_listing_deleted(*, gig_id: str, seller_id: str, deleted_at: str) -> None:
    updated = Listing.objects.filter(pk=gig_id).update(deleted=True)
    if not updated:  # deleted before we heard of it: remember, so a late gig.created cannot revive it
        Listing.objects.create(gig_id=gig_id, seller_id=seller_id, title="", status="deleted", deleted=True,
                               revision=2**31 - 1, updated_at=deleted_at)


# --- placing an order ------------------------------------------------------------------------

# How long gig.created usually takes to arrive (about a second end to end, docs/performance.md).
LISTING_RETRY_SECONDS = 2


def place_order(*, buyer_id: str, gig_id, package: str, requirements: str) -> Order:
    # The package with its gig in one query; the gig alone only to say why there is no such package.
    offer = ListedPackage.objects.select_related("listing").filter(listing_id=gig_id, tier=package).first()
    listing = offer.listing if offer is not None else Listing.objects.filter(pk=gig_id).first()
    if listing is None:
        # gig.created reaches this service about a second after the gig is made: from here a gig published a
        # moment ago and an id that will never exist look the same, so the answer says both.
        raise NotYet("The order service does not know this gig. A gig published in the last few seconds can be "
                     "ordered shortly: retry after Retry-After seconds.", code="gig_pending",
                     retry_after=LISTING_RETRY_SECONDS)
    if not listing.on_sale:
        raise InvalidInput.on("gig_id", "No gig on sale has this id.")
    if str(listing.seller_id) == str(buyer_id):
        raise Forbidden("Sellers cannot order their own gigs.")
    if offer is None:
        raise InvalidInput.on("package", f"This gig has no '{package}' package.")
    order_id = uuid.uuid4()
    try:
        # Before the transaction: a provider is a network call, and the order id is its idempotency key.
        payment = payments.provider().create_payment(payments.PaymentRequest(
            order_id=str(order_id), amount=offer.price, currency=offer.currency, description=listing.title))
    except payments.PaymentProviderError as error:
        raise Unavailable("The payment provider is unavailable; nothing was ordered. Try again shortly.") from error
    with transaction.atomic():
        order = Order.objects.create(
            id=order_id, gig_id=listing.gig_id, package=offer.tier, title=listing.title,
            package_title=offer.title, price=offer.price, currency=offer.currency, buyer_id=buyer_id,
            seller_id=listing.seller_id, requirements=requirements, delivery_days=offer.delivery_days,
            revisions_allowed=offer.revisions, payment_provider=payment.provider, payment_id=payment.payment_id)
        _note(order, "placed", actor_id=buyer_id, message=f"Ordered the {offer.tier} package.")
        events.order_placed(order)
        metrics.count_on_commit(metrics.ORDERS_PLACED)
    return order


# --- the parties' steps ------------------------------------------------------------------------

def deliver(*, order_id, user_id: str, message: str) -> Order:
    with transaction.atomic():
        order = _locked_for_party(order_id, user_id)
        _check(order, "deliver", user_id)
        order.delivered_at = timezone.now()
        _move(order, "deliver", actor_id=user_id, note=message)
        events.order_delivered(order, message=message)
    return order


def request_revision(*, order_id, user_id: str, message: str) -> Order:
    with transaction.atomic():
        order = _locked_for_party(order_id, user_id)
        _check(order, "request_revision", user_id)
        if order.revisions_left == 0:
            raise Conflict(f"The package includes {order.revisions_allowed} revision(s), all used.")
        order.revisions_used += 1
        _move(order, "request_revision", actor_id=user_id, note=message)
        events.order_revision_requested(order, message=message)
    return order


def accept(*, order_id, user_id: str) -> Order:
    with transaction.atomic():
        order = _locked_for_party(order_id, user_id)
        _check(order, "accept", user_id)
        _complete(order, "accept", actor_id=user_id, by="buyer")
    return order


def cancel(*, order_id, user_id: str, reason: str) -> Order:
    with transaction.atomic():
        order = _locked_for_party(order_id, user_id)
        name = "cancel_by_buyer" if str(order.buyer_id) == str(user_id) else "cancel_by_seller"
        _check(order, name, user_id)
        _cancel(order, name, actor_id=user_id, reason=reason, by=lifecycle.step(name).actor)
    return order


def cancel_by_staff(*, order_id, staff_username: str, reason: str) -> Order:
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order_id)
        _check(order, "cancel_by_staff", None)
        _cancel(order, "cancel_by_staff", actor_id=None, reason=f"{reason} (staff: {staff_username})", by="staff")
    return order


def auto_complete_delivered_orders(*, now: datetime | None = None, limit: int = 500) -> int:
    """Complete the orders delivered more than ORDER_AUTOCOMPLETE_DAYS ago; safe to run twice at once."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.ORDER_AUTOCOMPLETE_DAYS)
    due = list(Order.objects.filter(status=OrderStatus.DELIVERED, delivered_at__lte=cutoff)
               .order_by("delivered_at").values_list("pk", flat=True)[:limit])
    completed = 0
    for order_id in due:
        with transaction.atomic():
            # skip_locked: a buyer accepting this very order right now wins, and we move on.
            order = Order.objects.select_for_update(skip_locked=True).filter(
                pk=order_id, status=OrderStatus.DELIVERED, delivered_at__lte=cutoff).first()
            if order is None:
                continue
            _complete(order, "auto_complete", actor_id=None, by="system",
                      message=f"Completed automatically {settings.ORDER_AUTOCOMPLETE_DAYS:g} days after delivery.",
                      at=now)
            completed += 1
    return completed


# --- the payment provider's word -----------------------------------------------------------------

def apply_provider_event(event: ProviderEvent) -> str:
    """Apply a verified webhook event once; "applied", "duplicate", or "ignored" (a failure reported
    after the money arrived: providers do not promise order, so it is stale). Bad facts change nothing (400)."""
    with transaction.atomic():
        order = Order.objects.select_for_update().filter(pk=_uuid_or_none(event.order_id)).first()
        if order is None or order.payment_id != event.payment_id:
            raise InvalidInput.on("data", "No order has this payment.")
        if PaymentWebhookEvent.objects.filter(pk=event.id).exists():
            return "duplicate"
        if event.amount != order.price or event.currency != order.currency:
            raise InvalidInput.on("data", f"The amount does not match the order ({order.price} {order.currency}).")
        PaymentWebhookEvent.objects.create(id=event.id, type=event.type, order=order)
        if event.type == "payment.succeeded":
            _payment_succeeded(order)
        elif event.type == "payment.failed":
            if order.payment_status in (PaymentStatus.SUCCEEDED, PaymentStatus.REFUNDED):
                return "ignored"
            if order.status == OrderStatus.PENDING_PAYMENT:
                order.payment_status = PaymentStatus.FAILED
                order.save(update_fields=["payment_status", "updated_at"])
            _note(order, "payment_failed", message="The payment failed; the buyer may pay again.")
        elif event.type == "refund.succeeded":
            order.payment_status = PaymentStatus.REFUNDED
            order.save(update_fields=["payment_status", "updated_at"])
            _note(order, "refunded", message=f"{order.price} {order.currency} refunded to the buyer.")
    return "applied"


def _payment_succeeded(order: Order) -> None:
    if order.status == OrderStatus.PENDING_PAYMENT:
        order.payment_status = PaymentStatus.SUCCEEDED
        order.paid_at = timezone.now()
        order.due_at = order.paid_at + timedelta(days=order.delivery_days)
        _move(order, "pay", actor_id=None, note="Payment received.")
        events.order_paid(order)
        metrics.count_on_commit(metrics.ORDERS_PAID)
    elif order.status == OrderStatus.CANCELLED and order.payment_status in (PaymentStatus.PENDING,
                                                                          PaymentStatus.FAILED):
        # The buyer cancelled while the payment was on its way: the money goes straight back.
        order.payment_status = PaymentStatus.SUCCEEDED
        _note(order, "paid_after_cancellation", message="Payment arrived after the cancellation.")
        _refund(order)
        order.save()


# --- the machinery ------------------------------------------------------------------------------

def _uuid_or_none(value):
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def _locked_for_party(order_id, user_id: str) -> Order:
    """The order, locked, if ``user_id`` is its buyer or seller; a 404 otherwise (never reveal it exists)."""
    order = Order.objects.select_for_update().filter(pk=order_id).first()
    if order is None or str(user_id) not in (str(order.buyer_id), str(order.seller_id)):
        raise NotFound("No such order.")
    return order


def _check(order: Order, name: str, user_id: str | None) -> None:
    step = lifecycle.step(name)
    if step.actor in ("buyer", "seller"):
        party = str(order.buyer_id if step.actor == "buyer" else order.seller_id)
        if str(user_id) != party:
            raise Forbidden(f"Only the {step.actor} may do this.")
    if order.status not in step.sources:
        raise Conflict(f"Not possible while the order is {order.status.replace('_', ' ')}.")


def _move(order: Order, name: str, *, actor_id, note: str, at: datetime | None = None) -> None:
    """Take ``name``: the new status and its timeline entry (``note``); the caller publishes its event."""
    step = lifecycle.step(name)
    order.status = step.target
    order.save()
    _note(order, step.timeline, actor_id=actor_id, message=note, at=at)


def _complete(order: Order, name: str, *, actor_id, by: str, message: str = "Accepted the delivery.",
              at: datetime | None = None) -> None:
    order.completed_at = at or timezone.now()
    _move(order, name, actor_id=actor_id, note=message, at=at)
    events.order_completed(order, by=by)
    metrics.count_on_commit(metrics.ORDERS_COMPLETED)


def _cancel(order: Order, name: str, *, actor_id, reason: str, by: str) -> None:
    order.cancelled_at = timezone.now()
    refunded = order.payment_status == PaymentStatus.SUCCEEDED
    if refunded:
        _refund(order)
    _move(order, name, actor_id=actor_id, note=reason)
    events.order_cancelled(order, by=by, reason=reason, refunded=refunded)


def _refund(order: Order) -> None:
    try:
        outcome = payments.provider().refund(payment_id=order.payment_id, amount=order.price,
                                             currency=order.currency, order_id=str(order.pk))
    except payments.PaymentProviderError as error:
        raise Unavailable("The payment provider is unavailable, so the refund could not start; "
                          "nothing was changed.") from error
    order.payment_status = outcome.status
    _note(order, "refund_requested", message=f"Refund of {order.price} {order.currency} requested.")


def _note(order: Order, kind: str, *, actor_id=None, message: str = "", at: datetime | None = None) -> None:
    TimelineEntry.objects.create(order=order, type=kind, actor_id=actor_id, message=message, at=at or timezone.now())
