"""What the payment service keeps of the order service's events: each order's money terms and how far it got.

A handler that needs a fact not arrived yet (an order's terms) raises ``NotKnownYet``; the consumer
retries it with backoff. ``order.cancelled`` of a paid order refunds it through the provider; a provider
that is down raises too, so the refund is retried until it goes through (and then dead-lettered, visibly).
"""

from decimal import Decimal

from marketplace_libs.events.registry import handles

from . import services


@handles("order.placed")
def keep_order_terms(event):
    services.record_order_placed(data={**event.data, "placed_at": event.datetime("placed_at")})


@handles("order.paid")
def note_order_paid(event):
    services.record_order_paid(order_id=event.data["order_id"])


@handles("order.completed")
def credit_seller_earnings(event):
    refund = event.data.get("refund_amount")  # a dispute's partial refund
    services.record_order_completed(order_id=event.data["order_id"], completed_at=event.datetime("completed_at"),
                                    refund_amount=None if refund is None else Decimal(refund))


@handles("order.cancelled")
def refund_cancelled_order(event):
    services.record_order_cancelled(order_id=event.data["order_id"], cancelled_at=event.datetime("cancelled_at"))
