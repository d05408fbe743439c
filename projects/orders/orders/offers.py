"""Custom offers: a seller proposes an order to a buyer in their chat conversation; the buyer accepts it
(the order is placed at the offer's terms), declines it, or lets it expire; the seller may withdraw it.

    pending --accept (buyer)--> accepted (with its order)
    pending --decline (buyer)--> declined;  pending --withdraw (seller)--> withdrawn
    pending --expire (scheduler, at expires_at)--> expired

Every step locks the offer's row (SELECT ... FOR UPDATE) and checks its status under the lock, so two
accepts at once place one order: the second finds the offer accepted (409). An offer past ``expires_at``
is answered as expired (409) before the scheduler has marked it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import structlog
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from marketplace_libs.errors import Conflict, Forbidden, InvalidInput, NotFound, NotYet

from . import events, metrics, money
from .models import Conversation, Listing, Offer, OfferStatus, Order
from .services import _note

log = structlog.get_logger("marketplace.orders")

# The package an order placed from an offer carries in its events and answers.
CUSTOM_PACKAGE = "custom"
# How long conversation.started usually takes to arrive (about a second end to end).
CONVERSATION_RETRY_SECONDS = 2


# --- who talks to whom (conversation.started) -------------------------------------------------------

def record_conversation(*, conversation_id, participant_ids: list[str], gig_id, started_at) -> None:
    low, high = sorted(participant_ids)
    Conversation.objects.get_or_create(conversation_id=conversation_id, defaults={
        "user_low": low, "user_high": high, "gig_id": gig_id, "started_at": started_at})


# --- the seller's offer ----------------------------------------------------------------------------

def make_offer(*, seller_id, conversation_id, buyer_id, title: str, description: str, price: Decimal,
               currency: str, delivery_days: int, revisions: int | None, expires_in_days: int,
               gig_id=None) -> Offer:
    if str(buyer_id) == str(seller_id):
        raise InvalidInput.on("buyer_id", "An offer is made to someone else.")
    conversation = Conversation.objects.filter(pk=conversation_id).first()
    if conversation is None:
        # conversation.started reaches this service about a second after the conversation is opened:
        # a conversation started a moment ago and an id that will never exist look the same from here.
        raise NotYet("The order service does not know this conversation yet. A conversation started in the last "
                     "few seconds can carry offers shortly: retry after Retry-After seconds.",
                     code="conversation_pending", retry_after=CONVERSATION_RETRY_SECONDS)
    if str(seller_id) not in conversation.participants:
        raise NotFound("No such conversation.")
    if conversation.participants != {str(seller_id), str(buyer_id)}:
        raise InvalidInput.on("buyer_id", "The buyer must be the other participant of the conversation.")
    listing = _gig_for_offer(seller_id=seller_id, gig_id=gig_id, conversation=conversation)
    now = timezone.now()
    with transaction.atomic():
        offer = Offer.objects.create(
            conversation_id=conversation.pk, seller_id=seller_id, buyer_id=buyer_id, gig_id=listing.gig_id,
            title=title, description=description, price=price, currency=currency, delivery_days=delivery_days,
            revisions=revisions, created_at=now, expires_at=now + timedelta(days=expires_in_days))
        events.offer_created(offer)
    return offer


def _gig_for_offer(*, seller_id, gig_id, conversation: Conversation) -> Listing:
    """The seller's gig on sale the order will be sold under (as on Fiverr, an offer is made on a gig): the
    one named, else the gig the conversation began about if it is the seller's, else the seller's most
    recently updated gig on sale."""
    on_sale = Listing.objects.filter(seller_id=seller_id, status="active", deleted=False)
    if gig_id is not None:
        listing = on_sale.filter(pk=gig_id).first()
        if listing is None:
            raise InvalidInput.on("gig_id", "Not one of your gigs on sale.")
        return listing
    listing = on_sale.filter(pk=conversation.gig_id).first() if conversation.gig_id else None
    listing = listing or on_sale.order_by("-updated_at").first()
    if listing is None:
        raise InvalidInput.on("gig_id", "An offer is sold under one of your gigs: publish a gig first.")
    return listing


# --- the buyer's answer and the seller's withdrawal -------------------------------------------------

def accept_offer(*, offer_id, user_id) -> tuple[Offer, Order]:
    """Place the order at the offer's terms: ``pending_payment``, with the money terms of orders/money.py
    and ``order.placed`` (the payment service takes the checkout from it), and the offer ``accepted``."""
    with transaction.atomic():
        offer = _locked_for_party(offer_id, user_id, step="accept", actor="buyer")
        terms = money.terms_for(offer.price, fee_percent=settings.BUYER_FEE_PERCENT,
                                commission_percent=settings.SELLER_COMMISSION_PERCENT)
        listing = Listing.objects.filter(pk=offer.gig_id).first()
        order = Order.objects.create(
            gig_id=offer.gig_id, package=CUSTOM_PACKAGE, title=offer.title,
            package_title=f"Custom offer{f' ({listing.title[:40]})' if listing else ''}"[:60],
            price=terms.price, service_fee=terms.service_fee, total=terms.total,
            seller_earnings=terms.seller_earnings, currency=offer.currency, buyer_id=offer.buyer_id,
            seller_id=offer.seller_id, requirements=offer.description, delivery_days=offer.delivery_days,
            revisions_allowed=offer.revisions)
        _note(order, "placed", actor_id=user_id, message=f"Accepted the custom offer \u201c{offer.title}\u201d.")
        events.order_placed(order)
        metrics.count_on_commit(metrics.ORDERS_PLACED)
        _answer(offer, OfferStatus.ACCEPTED, order=order)
    return offer, order


def decline_offer(*, offer_id, user_id) -> Offer:
    with transaction.atomic():
        offer = _locked_for_party(offer_id, user_id, step="decline", actor="buyer")
        _answer(offer, OfferStatus.DECLINED)
    return offer


def withdraw_offer(*, offer_id, user_id) -> Offer:
    with transaction.atomic():
        offer = _locked_for_party(offer_id, user_id, step="withdraw", actor="seller")
        _answer(offer, OfferStatus.WITHDRAWN)
    return offer


def expire_offers(*, now: datetime | None = None, limit: int = 500) -> int:
    """Mark the pending offers past ``expires_at`` expired; safe to run twice at once."""
    now = now or timezone.now()
    due = list(Offer.objects.filter(status=OfferStatus.PENDING, expires_at__lte=now)
               .order_by("expires_at").values_list("pk", flat=True)[:limit])
    expired = 0
    for offer_id in due:
        with transaction.atomic():
            # skip_locked: a buyer answering this very offer right now is served first, and we move on.
            offer = Offer.objects.select_for_update(skip_locked=True).filter(
                pk=offer_id, status=OfferStatus.PENDING, expires_at__lte=now).first()
            if offer is None:
                continue
            _answer(offer, OfferStatus.EXPIRED, at=now)
            expired += 1
    return expired


def _locked_for_party(offer_id, user_id, *, step: str, actor: str) -> Offer:
    """The offer, locked, if ``user_id`` is its buyer or seller (404 otherwise: never reveal it exists),
    taking ``step`` by ``actor`` (403 for the other party), while it is pending and not expired (409)."""
    offer = Offer.objects.select_for_update().filter(pk=offer_id).first()
    if offer is None or str(user_id) not in (str(offer.buyer_id), str(offer.seller_id)):
        raise NotFound("No such offer.")
    if str(user_id) != str(offer.buyer_id if actor == "buyer" else offer.seller_id):
        raise Forbidden(f"Only the {actor} may {step} the offer.")
    if offer.status != OfferStatus.PENDING:
        raise Conflict(f"The offer is {offer.status}.")
    if offer.expires_at <= timezone.now():
        # The scheduler has not come by yet; the offer is expired all the same (the scheduler marks it).
        raise Conflict("The offer has expired.")
    return offer


ANSWER_EVENTS = {OfferStatus.ACCEPTED: events.offer_accepted, OfferStatus.DECLINED: events.offer_declined,
                 OfferStatus.WITHDRAWN: events.offer_withdrawn, OfferStatus.EXPIRED: events.offer_expired}


def _answer(offer: Offer, status: str, *, order: Order | None = None, at: datetime | None = None) -> None:
    offer.status, offer.order, offer.answered_at = status, order, at or timezone.now()
    offer.save(update_fields=["status", "order", "answered_at"])
    ANSWER_EVENTS[status](offer)
    log.info("offer_answered", offer_id=str(offer.pk), status=status)
