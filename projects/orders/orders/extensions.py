"""Delivery extensions: the seller asks for more days, the buyer accepts (``due_at`` moves) or declines.

One pending request per order: the order's row lock serialises two requests on one order, and the
partial unique constraint ``extension_one_pending_per_order`` holds even against a writer that forgot it.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from marketplace_libs.errors import Conflict, Forbidden, NotFound

from . import events
from .models import Extension, ExtensionStatus, Order, OrderStatus
from .services import _locked_for_party, _note


def request_extension(*, order_id, user_id: str, days: int, reason: str) -> Extension:
    with transaction.atomic():
        order = _locked_for_party(order_id, user_id)
        if str(order.seller_id) != str(user_id):
            raise Forbidden("Only the seller may ask for more time.")
        if order.status != OrderStatus.IN_PROGRESS:
            raise Conflict(f"Not possible while the order is {order.status.replace('_', ' ')}.")
        if order.extensions.filter(status=ExtensionStatus.PENDING).exists():
            raise Conflict("An extension request is already waiting for the buyer's answer.")
        try:
            with transaction.atomic():
                extension = Extension.objects.create(order=order, days=days, reason=reason)
        except IntegrityError as error:
            raise Conflict("An extension request is already waiting for the buyer's answer.") from error
        _note(order, "extension_requested", actor_id=user_id, message=f"Asked for {days} more day(s): {reason}")
        events.order_extension_requested(order, extension)
    return extension


def accept_extension(*, order_id, extension_id, user_id: str) -> Order:
    return _answer(order_id=order_id, extension_id=extension_id, user_id=user_id, status=ExtensionStatus.ACCEPTED)


def decline_extension(*, order_id, extension_id, user_id: str) -> Order:
    return _answer(order_id=order_id, extension_id=extension_id, user_id=user_id, status=ExtensionStatus.DECLINED)


def _answer(*, order_id, extension_id, user_id: str, status: str) -> Order:
    with transaction.atomic():
        order = _locked_for_party(order_id, user_id)
        extension = order.extensions.filter(pk=extension_id).first()
        if extension is None:
            raise NotFound("No such extension request.")
        if str(order.buyer_id) != str(user_id):
            raise Forbidden("Only the buyer answers an extension request.")
        if extension.status != ExtensionStatus.PENDING:
            raise Conflict(f"The extension request was already {extension.status}.")
        if order.status != OrderStatus.IN_PROGRESS:
            # Delivered, disputed or cancelled meanwhile: the request no longer means anything.
            raise Conflict(f"Not possible while the order is {order.status.replace('_', ' ')}.")
        extension.status, extension.answered_at = status, timezone.now()
        extension.save(update_fields=["status", "answered_at"])
        if status == ExtensionStatus.ACCEPTED:
            order.due_at += timedelta(days=extension.days)
            order.save(update_fields=["due_at", "updated_at"])
            _note(order, "extension_accepted", actor_id=user_id,
                  message=f"Gave {extension.days} more day(s); now due {order.due_at:%Y-%m-%d %H:%M} UTC.")
        else:
            _note(order, "extension_declined", actor_id=user_id, message=f"Declined {extension.days} more day(s).")
        events.order_extension_answered(order, extension)
    return order
