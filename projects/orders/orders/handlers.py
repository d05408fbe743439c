"""What the order service does with others' events: the gigs it sells (gig.*), the payments of its
orders (payment.*), which move them, who takes part in which conversation (conversation.started), for
custom offers, and which parties have reviewed them (review.*)."""

from decimal import Decimal

from marketplace_libs.events.registry import handles

from . import offers, services


@handles("gig.created")
@handles("gig.updated")
def keep_listing(event):
    services.record_listing(data=event.data)


@handles("gig.deleted")
def drop_listing(event):
    services.record_listing_deleted(gig_id=event.data["gig_id"], seller_id=event.data["seller_id"],
                                   deleted_at=event.data["deleted_at"])


@handles("payment.succeeded")
def start_paid_order(event):
    data = event.data
    services.record_payment_succeeded(order_id=data["order_id"], amount=Decimal(data["amount"]),
                                      currency=data["currency"], buyer_id=data["buyer_id"])


@handles("payment.failed")
def note_failed_payment(event):
    data = event.data
    services.record_payment_failed(order_id=data["order_id"], amount=Decimal(data["amount"]),
                                   currency=data["currency"], buyer_id=data["buyer_id"], reason=data["reason"])


@handles("payment.refunded")
def record_refund(event):
    data = event.data
    services.record_payment_refunded(order_id=data["order_id"], amount=Decimal(data["amount"]),
                                     refunded_total=Decimal(data["refunded_total"]),
                                     payment_amount=Decimal(data["payment_amount"]), currency=data["currency"],
                                     buyer_id=data["buyer_id"])


@handles("conversation.started")
def keep_conversation(event):
    data = event.data
    offers.record_conversation(conversation_id=data["conversation_id"], participant_ids=data["participant_ids"],
                               gig_id=data["gig_id"], started_at=data["started_at"])


@handles("review.submitted")
def note_submitted_review(event):
    data = event.data
    services.record_review_submitted(order_id=data["order_id"], direction=data["direction"],
                                     submitted_at=data["submitted_at"])


@handles("review.published")
def note_published_reviews(event):
    # Published implies submitted: this covers reviews written before review.submitted existed.
    for review in event.data["reviews"]:
        services.record_review_submitted(order_id=event.data["order_id"], direction=review["direction"],
                                         submitted_at=review["created_at"])
