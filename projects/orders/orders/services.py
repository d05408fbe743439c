"""Every write of the order service, and the events it owes the others.

Each transition locks the order's row (SELECT ... FOR UPDATE), checks the step against
``lifecycle.STEPS`` and writes the status, the timeline entry and the event in one transaction:
two concurrent calls on one order are serialised, and the second finds the status already moved (409).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import structlog
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from marketplace_libs.errors import Conflict, Forbidden, InvalidInput, NotFound, NotYet
from marketplace_libs.files.storage import file_storage
from marketplace_libs.files.uploads import store_upload

from . import events, lifecycle, metrics, money, selectors
from .models import (
    UNLIMITED, Listing, ListedPackage, Order, OrderFile, OrderStatus, PaymentStatus, SubmittedReview, TimelineEntry,
)

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
    try:
        offer = ListedPackage.objects.select_related("listing").get(listing_id=gig_id, tier=package)
    except ListedPackage.DoesNotExist:
        offer = None
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
    terms = money.terms_for(offer.price, fee_percent=settings.BUYER_FEE_PERCENT,
                            commission_percent=settings.SELLER_COMMISSION_PERCENT)
    with transaction.atomic():
        order = Order.objects.create(
            gig_id=listing.gig_id, package=offer.tier, title=listing.title, package_title=offer.title,
            price=terms.price, service_fee=terms.service_fee, total=terms.total,
            seller_earnings=terms.seller_earnings, currency=offer.currency, buyer_id=buyer_id,
            seller_id=listing.seller_id, requirements=requirements, delivery_days=offer.delivery_days,
            revisions_allowed=offer.revisions)
        placed = _note(order, "placed", actor_id=buyer_id, message=f"Ordered the {offer.tier} package.")
        events.order_placed(order)
        metrics.count_on_commit(metrics.ORDERS_PLACED)
    return selectors.as_just_placed(order, placed)


# --- the parties' steps ------------------------------------------------------------------------

def deliver(*, order_id, user_id: str, message: str, file_ids=()) -> Order:
    """``file_ids``: the seller's own uploads to this order, not delivered before; any other id refuses
    the delivery (400, nothing delivered)."""
    file_ids = _unique(file_ids)
    with transaction.atomic():
        order = _locked_for_party(order_id, user_id)
        _check(order, "deliver", user_id)
        order.delivered_at = timezone.now()
        entry = _move(order, "deliver", actor_id=user_id, note=message)
        if file_ids:
            attached = OrderFile.objects.filter(pk__in=file_ids, order=order, uploaded_by=user_id,
                                                delivery__isnull=True).update(delivery=entry)
            if attached != len(file_ids):
                raise InvalidInput.on("file_ids", "Deliver only files you uploaded to this order and have not "
                                                  "delivered before.")
        events.order_delivered(order, message=message)
    return order


def _unique(file_ids) -> list:
    file_ids = list(file_ids or ())
    if len(set(file_ids)) != len(file_ids):
        raise InvalidInput.on("file_ids", "A file is delivered once.")
    return file_ids


# --- files ---------------------------------------------------------------------------------------

FILES_CLOSED = (OrderStatus.COMPLETED, OrderStatus.CANCELLED)


def upload_file(*, order: Order, user_id, upload) -> OrderFile:
    """Store ``upload`` (streamed by marketplace_libs.files.uploads) for the order; the caller has
    checked that ``user_id`` is a party (before reading the body)."""
    if order.status in FILES_CLOSED:
        raise Conflict(f"The order is {order.status}: no more files.")
    stored = store_upload(upload, storage=file_storage, folder=f"orders/{order.pk}")
    try:
        return OrderFile.objects.create(order=order, uploaded_by=user_id, key=stored.key, name=stored.name,
                                        size=stored.size, content_type=stored.content_type, sha256=stored.sha256)
    except BaseException:
        file_storage.delete(stored.key)
        raise


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
        name = _cancel_step_for(order, user_id)
        _check(order, name, user_id)
        _cancel(order, name, actor_id=user_id, reason=reason, by=lifecycle.step(name).actor)
    return order


def _cancel_step_for(order: Order, user_id: str) -> str:
    """The seller may cancel work in progress; the buyer an unpaid order, or one in progress that is late
    (past ``due_at``: the seller missed the date the buyer paid for, and the buyer gets a full refund)."""
    if str(order.buyer_id) != str(user_id):
        return "cancel_by_seller"
    if order.status == OrderStatus.IN_PROGRESS:
        if not order.late:
            raise Conflict(f"The order is in progress and due {order.due_at:%Y-%m-%d %H:%M} UTC; the buyer may "
                           "cancel it once it is late.")
        return "cancel_late_by_buyer"
    return "cancel_by_buyer"


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


# --- the payment service's word (payment.* events) -------------------------------------------------
#
# Events may arrive in any order (retries, redeliveries), so each handler moves the order's payment facts
# only forward (unpaid -> paid -> partially_refunded -> refunded, refunded_total only grows) and the three
# converge on the same order whatever their order of arrival. Each is applied once (the inbox); a
# different event with the same facts changes nothing either.

class PaymentMismatch(Exception):
    """A payment event that does not fit the order (its amount, currency or parties): a bug upstream.
    Raised so the event is retried and then dead-lettered with this message, never applied."""


def record_payment_succeeded(*, order_id, amount: Decimal, currency: str, buyer_id: str) -> Order:
    """``payment.succeeded``: the buyer paid the order's total; the work starts (the ``pay`` step)."""
    with transaction.atomic():
        order = _locked_for_payment(order_id, amount=amount, currency=currency, buyer_id=buyer_id)
        if order.payment_status == PaymentStatus.UNPAID:
            order.payment_status = PaymentStatus.PAID
            order.save(update_fields=["payment_status", "updated_at"])
        elif order.payment_status == PaymentStatus.REFUNDED:
            # The refund was heard first: the money is back with the buyer, so no work starts for it.
            _note(order, "payment_refunded_before_arrival",
                  message=f"A payment of {order.total} {order.currency} arrived, already refunded in full.")
            return order
        if order.status == OrderStatus.PENDING_PAYMENT:
            order.paid_at = timezone.now()
            order.due_at = order.paid_at + timedelta(days=order.delivery_days)
            _move(order, "pay", actor_id=None, note="Payment received.")
            events.order_paid(order)
            metrics.count_on_commit(metrics.ORDERS_PAID)
        elif order.status == OrderStatus.CANCELLED and order.paid_at is None:
            # The buyer cancelled while paying. The payment service heard order.cancelled and refunds
            # any paid cancelled order, so nothing is asked of anyone here.
            order.paid_at = timezone.now()
            order.save(update_fields=["paid_at", "updated_at"])
            _note(order, "paid_after_cancellation", message=f"A payment of {order.total} {order.currency} arrived "
                  "after the cancellation; the payment service refunds it to the buyer.")
        else:
            log.info("payment_already_recorded", order_id=str(order.pk), status=order.status)
    return order


def record_payment_failed(*, order_id, amount: Decimal, currency: str, buyer_id: str, reason: str) -> Order:
    """``payment.failed``: a checkout failed; the order keeps waiting and the buyer may check out again.
    A failure heard after the order was paid or cancelled is stale and changes nothing."""
    with transaction.atomic():
        order = _locked_for_payment(order_id, amount=amount, currency=currency, buyer_id=buyer_id)
        if order.status == OrderStatus.PENDING_PAYMENT and order.payment_status == PaymentStatus.UNPAID:
            _note(order, "payment_failed", message=f"The payment failed ({reason}); the buyer may check out again.")
        else:
            log.info("stale_payment_failure_ignored", order_id=str(order.pk), status=order.status,
                     payment_status=order.payment_status)
    return order


def record_payment_refunded(*, order_id, amount: Decimal, refunded_total: Decimal, payment_amount: Decimal,
                            currency: str, buyer_id: str) -> Order:
    """``payment.refunded``: ``amount`` went back to the buyer, ``refunded_total`` of ``payment_amount`` so far."""
    with transaction.atomic():
        order = _locked_for_payment(order_id, amount=payment_amount, currency=currency, buyer_id=buyer_id)
        if not Decimal(0) < amount <= refunded_total <= payment_amount:
            raise PaymentMismatch(f"Refund of {amount} ({refunded_total} in all) does not fit a payment of "
                                  f"{payment_amount}.")
        if refunded_total <= order.refunded_total:
            log.info("refund_already_recorded", order_id=str(order.pk), refunded_total=str(refunded_total))
            return order  # this refund, or a later one that covers it, is already known
        order.refunded_total = refunded_total
        order.payment_status = (PaymentStatus.REFUNDED if refunded_total == payment_amount
                                else PaymentStatus.PARTIALLY_REFUNDED)
        order.save(update_fields=["refunded_total", "payment_status", "updated_at"])
        _note(order, "refunded", message=f"Refund of {amount} {currency} to the buyer "
              f"({refunded_total} of {payment_amount} {currency} refunded in all).")
    return order


def _locked_for_payment(order_id, *, amount: Decimal, currency: str, buyer_id: str) -> Order:
    order = Order.objects.select_for_update().filter(pk=order_id).first()
    if order is None:
        raise PaymentMismatch(f"No order {order_id}.")
    if amount != order.total or currency != order.currency or str(buyer_id) != str(order.buyer_id):
        raise PaymentMismatch(f"A payment of {amount} {currency} by {buyer_id} does not match order {order.pk} "
                              f"({order.total} {order.currency} by {order.buyer_id}).")
    return order


# --- the review service's word (review.* events) ----------------------------------------------------

def record_review_submitted(*, order_id, direction: str, submitted_at) -> None:
    """A party reviewed the order; told by review.submitted and again by review.published: kept once."""
    SubmittedReview.objects.bulk_create([SubmittedReview(order_id=order_id, direction=direction,
                                                         submitted_at=submitted_at)], ignore_conflicts=True)


# --- the machinery ------------------------------------------------------------------------------

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


def _move(order: Order, name: str, *, actor_id, note: str, at: datetime | None = None) -> TimelineEntry:
    """Take ``name``: the new status and its timeline entry (``note``); the caller publishes its event."""
    step = lifecycle.step(name)
    order.status = step.target
    order.save()
    return _note(order, step.timeline, actor_id=actor_id, message=note, at=at)


def _complete(order: Order, name: str, *, actor_id, by: str, message: str = "Accepted the delivery.",
              at: datetime | None = None, refund_amount: Decimal | None = None) -> None:
    order.completed_at = at or timezone.now()
    _move(order, name, actor_id=actor_id, note=message, at=at)
    events.order_completed(order, by=by, refund_amount=refund_amount)
    metrics.count_on_commit(metrics.ORDERS_COMPLETED)


def _cancel(order: Order, name: str, *, actor_id, reason: str, by: str) -> None:
    order.cancelled_at = timezone.now()
    # Paid (in part, at least): the payment service hears order.cancelled and refunds what is left of it.
    refunded = order.payment_status in (PaymentStatus.PAID, PaymentStatus.PARTIALLY_REFUNDED)
    _move(order, name, actor_id=actor_id, note=reason)
    if refunded:
        _note(order, "refund_due", message=f"The payment service refunds the payment to the buyer "
              f"({order.total - order.refunded_total} {order.currency}).")
    events.order_cancelled(order, by=by, reason=reason, refunded=refunded)


def _note(order: Order, kind: str, *, actor_id=None, message: str = "", at: datetime | None = None
          ) -> TimelineEntry:
    return TimelineEntry.objects.create(order=order, type=kind, actor_id=actor_id, message=message, at=at or timezone.now())
