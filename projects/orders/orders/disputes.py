"""Disputes: either party contests an order in progress or delivered; the order is frozen (``disputed`` is the
source of no step but the resolutions) until staff resolve it with one of three outcomes.

The money moves through the payment service, by the event each outcome publishes:
- ``refund_buyer``: the order is cancelled (order.cancelled, ``by`` staff, ``refunded``): what is left of the
  payment goes back to the buyer;
- ``release_to_seller``: the order completes (order.completed, ``by`` staff): the seller's earning is posted;
- ``partial_refund``: the order completes with ``refund_amount`` on order.completed: the payment service refunds
  that much and credits the seller from what is left in escrow, in one step (docs/payments.md).
"""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from marketplace_libs.errors import Conflict, InvalidInput

from . import events
from .models import Dispute, DisputeOutcome, DisputeStatus, Order, OrderFile, OrderStatus, PaymentStatus
from .services import _cancel, _check, _complete, _locked_for_party, _move, _note

RESOLUTION_STEPS = {
    DisputeOutcome.REFUND_BUYER: "resolve_refund_buyer",
    DisputeOutcome.RELEASE_TO_SELLER: "resolve_release_to_seller",
    DisputeOutcome.PARTIAL_REFUND: "resolve_partial_refund",
}


def open_dispute(*, order_id, user_id: str, reason: str, details: str = "", file_ids=()) -> Dispute:
    """``file_ids``: files of this order the caller may see (theirs, the buyer's brief, delivered ones);
    any other id refuses the whole dispute (400) and nothing is opened."""
    with transaction.atomic():
        order = _locked_for_party(order_id, user_id)
        if order.status == OrderStatus.DISPUTED:
            raise Conflict("The order is already disputed.")
        _check(order, "open_dispute", user_id)
        cited = _citable_files(order, user_id, file_ids)
        dispute = Dispute.objects.create(order=order, opened_by=user_id, opened_in_status=order.status,
                                         reason=reason, details=details)
        dispute.files.set(cited)
        _move(order, "open_dispute", actor_id=user_id, note=f"{reason}: {details}" if details else reason)
        events.order_dispute_opened(order, dispute)
    return dispute


def _citable_files(order: Order, user_id: str, file_ids) -> list[OrderFile]:
    wanted = set(file_ids or ())
    files = [order_file for order_file in OrderFile.objects.filter(pk__in=wanted, order=order)
             if order_file.visible_to(user_id)]
    if len(files) != len(wanted):
        raise InvalidInput.on("file_ids", "Cite only files of this order that you can see.")
    return files


def refundable(order: Order) -> Decimal:
    """What the buyer paid and has not had back yet."""
    if order.payment_status == PaymentStatus.UNPAID:
        return Decimal("0")
    return order.total - order.refunded_total


def resolve_dispute(*, order_id, outcome: str, staff_username: str, refund_amount: Decimal | None = None,
                    note: str = "") -> Order:
    """Staff's decision (the orders admin). ``refund_amount`` only with ``partial_refund``: more than nothing
    and less than what the buyer paid and has not had back (all of it is ``refund_buyer``)."""
    if outcome not in RESOLUTION_STEPS:
        raise InvalidInput.on("outcome", f"One of {', '.join(RESOLUTION_STEPS)}.")
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order_id)
        dispute = Dispute.objects.select_for_update().filter(order=order).first()
        if dispute is None or dispute.status != DisputeStatus.OPEN:
            raise Conflict("The order has no open dispute.")
        name = RESOLUTION_STEPS[outcome]
        _check(order, name, None)
        if outcome == DisputeOutcome.PARTIAL_REFUND:
            left = refundable(order)
            if refund_amount is None or not Decimal("0") < refund_amount < left:
                raise InvalidInput.on("refund_amount", f"A partial refund is more than 0.00 and less than "
                                                       f"{left:.2f} {order.currency} (what the buyer paid and has not "
                                                       "had back); a full refund is refund_buyer.")
        elif refund_amount is not None:
            raise InvalidInput.on("refund_amount", "Only a partial refund takes an amount.")
        dispute.status, dispute.outcome, dispute.resolved_at = DisputeStatus.RESOLVED, outcome, timezone.now()
        dispute.resolved_by, dispute.resolution_note = staff_username, note
        if outcome == DisputeOutcome.REFUND_BUYER:
            refund_amount = None  # order.cancelled refunds whatever is left; the dispute records how much
            dispute.refund_amount = refundable(order) or None
        else:
            dispute.refund_amount = refund_amount
        dispute.save()
        summary = _summary(order, outcome, refund_amount) + (f" {note}" if note else "")
        if outcome == DisputeOutcome.REFUND_BUYER:
            _cancel(order, name, actor_id=None, reason=f"Dispute resolved by staff: {summary}", by="staff")
        else:
            _complete(order, name, actor_id=None, by="staff", message=f"Dispute resolved by staff: {summary}",
                      refund_amount=refund_amount)
            if refund_amount is not None:
                _note(order, "refund_due", message=f"The payment service refunds {refund_amount:.2f} "
                                                   f"{order.currency} to the buyer.")
    return order


def _summary(order: Order, outcome: str, refund_amount: Decimal | None) -> str:
    if outcome == DisputeOutcome.REFUND_BUYER:
        return "the buyer is refunded in full; the order is cancelled."
    if outcome == DisputeOutcome.RELEASE_TO_SELLER:
        return "the payment is released to the seller; the order is completed."
    return f"{refund_amount:.2f} {order.currency} is refunded to the buyer, the rest goes to the seller; " \
           "the order is completed."

