"""The events the order service publishes: one function per type, its payload's shape in one place.

Every ``order.*`` event carries the order's card (ids, package, title, parties, price) and the
facts of its own step. Each runs inside the transaction of the change it reports.
"""

from __future__ import annotations

from django.utils import timezone

from marketplace_libs.events.publishing import publish
from marketplace_libs.times import iso_utc

from .models import UNLIMITED, Dispute, Extension, Offer, Order


def order_placed(order: Order) -> None:
    """With the money terms: the payment service charges ``total`` and credits ``seller_earnings``."""
    publish("order.placed", {
        **_card(order), "service_fee": _amount(order.service_fee), "total": _amount(order.total),
        "seller_earnings": _amount(order.seller_earnings), "placed_at": iso_utc(order.created_at),
    }, aggregate_id=str(order.pk))


def order_paid(order: Order) -> None:
    publish("order.paid", {**_card(order), "paid_at": iso_utc(order.paid_at), "due_at": iso_utc(order.due_at)},
            aggregate_id=str(order.pk))


def order_delivered(order: Order, *, message: str) -> None:
    publish("order.delivered", {**_card(order), "delivered_at": iso_utc(order.delivered_at), "message": message},
            aggregate_id=str(order.pk))


def order_revision_requested(order: Order, *, message: str) -> None:
    publish("order.revision_requested", {
        **_card(order), "requested_at": iso_utc(timezone.now()), "message": message,
        "revisions_used": order.revisions_used,
        "revisions_allowed": UNLIMITED if order.revisions_allowed is None else order.revisions_allowed,
    }, aggregate_id=str(order.pk))


def order_completed(order: Order, *, by: str, refund_amount=None) -> None:
    """``refund_amount``: a dispute resolved with a partial refund (``by`` staff); the payment service
    refunds it to the buyer and credits the seller from what is left in escrow, in one step."""
    data = {**_card(order), "completed_at": iso_utc(order.completed_at), "by": by}
    if refund_amount is not None:
        data["refund_amount"] = _amount(refund_amount)
    publish("order.completed", data, aggregate_id=str(order.pk))


def order_cancelled(order: Order, *, by: str, reason: str, refunded: bool) -> None:
    publish("order.cancelled", {
        **_card(order), "cancelled_at": iso_utc(order.cancelled_at), "by": by, "reason": reason,
        "refunded": refunded,
    }, aggregate_id=str(order.pk))


def order_extension_requested(order: Order, extension: Extension) -> None:
    publish("order.extension_requested", {
        **_card(order), "extension_id": str(extension.pk), "days": extension.days, "reason": extension.reason,
        "due_at": iso_utc(order.due_at), "requested_at": iso_utc(extension.created_at),
    }, aggregate_id=str(order.pk))


def order_extension_answered(order: Order, extension: Extension) -> None:
    publish("order.extension_answered", {
        **_card(order), "extension_id": str(extension.pk), "days": extension.days, "status": extension.status,
        "due_at": iso_utc(order.due_at), "answered_at": iso_utc(extension.answered_at),
    }, aggregate_id=str(order.pk))


def order_dispute_opened(order: Order, dispute: Dispute) -> None:
    publish("order.dispute_opened", {
        **_card(order), "dispute_id": str(dispute.pk), "opened_by": str(dispute.opened_by),
        "reason": dispute.reason, "opened_at": iso_utc(dispute.created_at),
    }, aggregate_id=str(order.pk))


# Each offer.* event carries the whole offer in its new status, so the chat service can show it from any
# one of them, in whatever order they arrive; the answers add when they happened.

def offer_created(offer: Offer) -> None:
    publish("offer.created", offer_card(offer), aggregate_id=str(offer.pk))


def offer_accepted(offer: Offer) -> None:
    """Beside the order's own order.placed, in the same transaction."""
    publish("offer.accepted", {**offer_card(offer), "accepted_at": iso_utc(offer.answered_at)},
            aggregate_id=str(offer.pk))


def offer_declined(offer: Offer) -> None:
    publish("offer.declined", {**offer_card(offer), "declined_at": iso_utc(offer.answered_at)},
            aggregate_id=str(offer.pk))


def offer_withdrawn(offer: Offer) -> None:
    publish("offer.withdrawn", {**offer_card(offer), "withdrawn_at": iso_utc(offer.answered_at)},
            aggregate_id=str(offer.pk))


def offer_expired(offer: Offer) -> None:
    publish("offer.expired", {**offer_card(offer), "expired_at": iso_utc(offer.answered_at)},
            aggregate_id=str(offer.pk))


def offer_card(offer: Offer) -> dict:
    return {
        "offer_id": str(offer.pk), "conversation_id": str(offer.conversation_id), "seller_id": str(offer.seller_id),
        "buyer_id": str(offer.buyer_id), "gig_id": str(offer.gig_id), "title": offer.title,
        "description": offer.description, "price": _amount(offer.price), "currency": offer.currency,
        "delivery_days": offer.delivery_days, "revisions": UNLIMITED if offer.revisions is None else offer.revisions,
        "status": offer.status, "expires_at": iso_utc(offer.expires_at), "created_at": iso_utc(offer.created_at),
        "order_id": str(offer.order_id) if offer.order_id else None,
    }


def _card(order: Order) -> dict:
    return {
        "order_id": str(order.pk), "gig_id": str(order.gig_id), "package": order.package, "title": order.title,
        "buyer_id": str(order.buyer_id), "seller_id": str(order.seller_id), "price": _amount(order.price),
        "currency": order.currency,
    }


def _amount(value) -> str:
    return f"{value:.2f}"
