"""Which event tells whom what: one function per event type, returning the notifications to make.

Kept apart from the services so the wording, the recipients and the email preference that governs
each kind are read (and reviewed) in one place.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings

EMAIL_NOTIFICATIONS = "email_notifications"
MESSAGE_EMAILS = "message_emails"


@dataclass(frozen=True)
class Draft:
    user_id: str
    kind: str
    title: str
    body: str
    link: str
    data: dict = field(default_factory=dict)
    email_preference: str = EMAIL_NOTIFICATIONS  # the preference that must be on for an email


def link(path: str) -> str:
    """A page of the marketplace's web client (the emails' links): a client route, which the API gateway
    does not serve. ``resource`` is the API path to call instead."""
    return f"{settings.MARKETPLACE_PUBLIC_URL}{path}"


# The seller's money (a balance, payouts) is about the account, not about one order.
MONEY_RESOURCES = {"earnings.cleared": "/api/payments/balance", "payout.paid": "/api/payments/payouts",
                   "payout.failed": "/api/payments/payouts"}


def resource(kind: str, data: dict) -> str:
    """The API path (through the gateway, with the recipient's token) that answers with what a
    notification is about: the most specific of the ids its data carries."""
    if kind in MONEY_RESOURCES:
        return MONEY_RESOURCES[kind]
    if "order_id" in data:
        return f"/api/orders/{data['order_id']}/"
    if "offer_id" in data:
        return f"/api/orders/offers/{data['offer_id']}/"
    if "conversation_id" in data:
        return f"/api/chat/conversations/{data['conversation_id']}/messages/"
    if kind == "review.created" and "buyer_id" in data:  # a seller's review of a buyer
        return f"/api/reviews/?buyer_id={data['buyer_id']}"
    if "gig_id" in data:
        return f"/api/reviews/?gig_id={data['gig_id']}" if kind == "review.created" else f"/api/gigs/{data['gig_id']}/"
    return f"/api/users/{data['username']}"


def welcome(data: dict) -> list[Draft]:
    return [Draft(data["user_id"], "welcome", f"Welcome to the marketplace, {data['username']}!",
                  "Find the right freelancer for your next project, or open your seller profile and offer your own "
                  "services.", link("/"), {"username": data["username"]})]


def _order(data: dict) -> dict:
    return {"order_id": data["order_id"], "gig_id": data["gig_id"], "title": data["title"],
            "package": data["package"], "price": data["price"], "currency": data["currency"]}


def order_placed(data: dict) -> list[Draft]:
    return [Draft(data["seller_id"], "order.placed", f"New order: {data['title']}",
                  f"A buyer ordered your {data['package']} package for {data['price']} {data['currency']}. "
                  "Work starts once the payment is confirmed.", link(f"/orders/{data['order_id']}"), _order(data))]


def order_paid(data: dict) -> list[Draft]:
    return [Draft(data["seller_id"], "order.paid", f"Order paid: {data['title']}",
                  f"The payment is confirmed. Please deliver by {data['due_at'][:16].replace('T', ' ')} UTC.",
                  link(f"/orders/{data['order_id']}"), {**_order(data), "due_at": data["due_at"]})]


def order_delivered(data: dict) -> list[Draft]:
    return [Draft(data["buyer_id"], "order.delivered", f"Your order was delivered: {data['title']}",
                  f"The seller says: \u201c{data['message'][:300]}\u201d. Accept the delivery or ask for a revision.",
                  link(f"/orders/{data['order_id']}"), _order(data))]


def order_revision_requested(data: dict) -> list[Draft]:
    return [Draft(data["seller_id"], "order.revision_requested", f"Revision requested: {data['title']}",
                  f"The buyer asks: \u201c{data['message'][:300]}\u201d.", link(f"/orders/{data['order_id']}"),
                  {**_order(data), "revisions_used": data["revisions_used"]})]


def order_completed(data: dict) -> list[Draft]:
    """To both parties: the seller's work is done, and the buyer may now review it."""
    if data["by"] == "buyer":
        to_seller, to_buyer = "The buyer accepted your delivery. Well done!", "You accepted the delivery."
    elif data["by"] == "staff":
        if "refund_amount" in data:
            decided = (f"Our staff resolved the dispute: {data['refund_amount']} {data['currency']} is refunded to "
                       "the buyer and the rest of the payment goes to the seller.")
        else:
            decided = "Our staff resolved the dispute in the seller's favour: the payment goes to the seller."
        to_seller, to_buyer = f"{decided} The order is completed.", f"{decided} The order is completed."
    else:
        to_seller = "The order completed automatically: the buyer did not respond to the delivery. Well done!"
        to_buyer = "The order completed automatically, as you did not respond to the delivery in time."
    # Reviews are double-blind (docs/reviews.md): each party is invited, and told that neither review shows early.
    blind = "Neither review is shown until you have both written yours or the review window has closed."
    return [Draft(user_id, "order.completed", f"Order completed: {data['title']}", body,
                  link(f"/orders/{data['order_id']}"), _order(data))
            for user_id, body in ((data["seller_id"], f"{to_seller} How was the buyer? Leave a review. {blind}"),
                                  (data["buyer_id"],
                                   f"{to_buyer} How did it go? Leave a review of the seller. {blind}"))]


def order_extension_requested(data: dict) -> list[Draft]:
    return [Draft(data["buyer_id"], "order.extension_requested", f"The seller asks for more time: {data['title']}",
                  f"The seller asks for {data['days']} more day(s): \u201c{data['reason'][:300]}\u201d. Accept or "
                  "decline the request on the order.", link(f"/orders/{data['order_id']}"),
                  {**_order(data), "extension_id": data["extension_id"], "days": data["days"]})]


def order_extension_answered(data: dict) -> list[Draft]:
    if data["status"] == "accepted":
        title = f"Extension accepted: {data['title']}"
        body = f"The buyer gave you {data['days']} more day(s): deliver by {data['due_at'][:16].replace('T', ' ')} UTC."
    else:
        title = f"Extension declined: {data['title']}"
        body = f"The buyer declined your request; the order is still due {data['due_at'][:16].replace('T', ' ')} UTC."
    return [Draft(data["seller_id"], "order.extension_answered", title, body, link(f"/orders/{data['order_id']}"),
                  {**_order(data), "extension_id": data["extension_id"], "status": data["status"],
                   "due_at": data["due_at"]})]


def order_dispute_opened(data: dict) -> list[Draft]:
    """To both parties: the other learns of it, the one who opened it has the confirmation."""
    opener = "buyer" if data["opened_by"] == data["buyer_id"] else "seller"
    body = (f"The {opener} opened a dispute: \u201c{data['reason'][:200]}\u201d. The order is on hold until our "
            "staff resolve it; both of you will be told of the outcome.")
    return [Draft(user_id, "order.dispute_opened", f"Order disputed: {data['title']}", body,
                  link(f"/orders/{data['order_id']}"), {**_order(data), "dispute_id": data["dispute_id"]})
            for user_id in (data["buyer_id"], data["seller_id"])]


def order_cancelled(data: dict) -> list[Draft]:
    refund = " The payment is being refunded to the buyer." if data["refunded"] else ""
    body = f"Cancelled by the {data['by']}: \u201c{data['reason'][:300]}\u201d.{refund}"
    return [Draft(user_id, "order.cancelled", f"Order cancelled: {data['title']}", body,
                  link(f"/orders/{data['order_id']}"), {**_order(data), "refunded": data["refunded"]})
            for user_id in (data["buyer_id"], data["seller_id"])]


def _offer(data: dict) -> dict:
    return {"offer_id": data["offer_id"], "conversation_id": data["conversation_id"], "title": data["title"],
            "price": data["price"], "currency": data["currency"], "delivery_days": data["delivery_days"],
            "expires_at": data["expires_at"]}


def offer_received(data: dict) -> list[Draft]:
    """offer.created, to the buyer: the chat shows the offer too, but the buyer may not be looking."""
    return [Draft(data["buyer_id"], "offer.received", f"New custom offer: {data['title']}",
                  f"A seller offers you “{data['title']}” for {data['price']} {data['currency']}, delivered "
                  f"in {data['delivery_days']} day(s). Accept it before {data['expires_at'][:16].replace('T', ' ')} UTC.",
                  link(f"/messages/{data['conversation_id']}"), _offer(data))]


def offer_accepted(data: dict) -> list[Draft]:
    return [Draft(data["seller_id"], "offer.accepted", f"Offer accepted: {data['title']}",
                  "The buyer accepted your custom offer and the order is placed. Work starts once the payment is "
                  "confirmed.", link(f"/orders/{data['order_id']}"), {**_offer(data), "order_id": data["order_id"]})]


def offer_declined(data: dict) -> list[Draft]:
    return [Draft(data["seller_id"], "offer.declined", f"Offer declined: {data['title']}",
                  "The buyer declined your custom offer. You can talk it over in the conversation and make another.",
                  link(f"/messages/{data['conversation_id']}"), _offer(data))]


def offer_withdrawn(data: dict) -> list[Draft]:
    return [Draft(data["buyer_id"], "offer.withdrawn", f"Offer withdrawn: {data['title']}",
                  "The seller withdrew the custom offer; it can no longer be accepted.",
                  link(f"/messages/{data['conversation_id']}"), _offer(data))]


def offer_expired(data: dict) -> list[Draft]:
    """To both: the seller may make it again, the buyer learns it can no longer be accepted."""
    return [Draft(user_id, "offer.expired", f"Offer expired: {data['title']}", body,
                  link(f"/messages/{data['conversation_id']}"), _offer(data))
            for user_id, body in (
                (data["seller_id"], "The buyer did not answer your custom offer in time. You can make it again."),
                (data["buyer_id"], "The custom offer expired before you answered; ask the seller for a new one."))]


def _payment(data: dict) -> dict:
    return {"order_id": data["order_id"], "payment_id": data["payment_id"], "amount": data["amount"],
            "currency": data["currency"]}


def payment_succeeded(data: dict) -> list[Draft]:
    return [Draft(data["buyer_id"], "payment.succeeded", f"Payment received: {data['amount']} {data['currency']}",
                  "Your payment went through. The seller starts work on your order now.",
                  link(f"/orders/{data['order_id']}"), _payment(data))]


def payment_failed(data: dict) -> list[Draft]:
    return [Draft(data["buyer_id"], "payment.failed", f"Your payment of {data['amount']} {data['currency']} failed",
                  f"The payment did not go through: {data['reason'][:300]} Nothing was charged; you can check out "
                  "again from the order.", link(f"/orders/{data['order_id']}"),
                  {**_payment(data), "reason": data["reason"]})]


def payment_refunded(data: dict) -> list[Draft]:
    everything = Decimal(data["refunded_total"]) == Decimal(data["payment_amount"])
    so_far = "the whole payment" if everything else \
        f"{data['refunded_total']} of your {data['payment_amount']} {data['currency']} payment so far"
    return [Draft(data["buyer_id"], "payment.refunded", f"Refund of {data['amount']} {data['currency']}",
                  f"We refunded {data['amount']} {data['currency']} to you ({so_far}). Your bank may take a few days "
                  "to show it.", link(f"/orders/{data['order_id']}"),
                  {**_payment(data), "refunded_total": data["refunded_total"],
                   "payment_amount": data["payment_amount"]})]


def earnings_cleared(data: dict) -> list[Draft]:
    return [Draft(data["seller_id"], "earnings.cleared", f"{data['amount']} {data['currency']} is ready to withdraw",
                  "The earnings of a completed order have cleared and are now in your available balance.",
                  link("/earnings"), {"order_id": data["order_id"], "amount": data["amount"],
                                      "currency": data["currency"]})]


def payout_paid(data: dict) -> list[Draft]:
    return [Draft(data["seller_id"], "payout.paid", f"Payout sent: {data['amount']} {data['currency']}",
                  f"Your payout of {data['amount']} {data['currency']} is on its way to your account.",
                  link("/earnings"), {"payout_id": data["payout_id"], "amount": data["amount"],
                                      "currency": data["currency"]})]


def payout_failed(data: dict) -> list[Draft]:
    return [Draft(data["seller_id"], "payout.failed", f"Your payout of {data['amount']} {data['currency']} failed",
                  f"The payout could not be made: {data['reason'][:300]} The amount is back in your available "
                  "balance.", link("/earnings"),
                  {"payout_id": data["payout_id"], "amount": data["amount"], "currency": data["currency"],
                   "reason": data["reason"]})]


def review_created(data: dict) -> list[Draft]:
    stars = "\u2605" * data["rating"] + "\u2606" * (5 - data["rating"])
    comment = f" \u201c{data['comment'][:300]}\u201d" if data["comment"] else ""
    return [Draft(data["seller_id"], "review.created", f"New review: {stars}",
                  f"A buyer rated your work {data['rating']} out of 5.{comment}", link(f"/gigs/{data['gig_id']}"),
                  {"review_id": data["review_id"], "gig_id": data["gig_id"], "rating": data["rating"]})]


def reviews_published(data: dict) -> list[Draft]:
    """To each reviewed party, when the reviews of an order go public (review.published): the review of them. The
    kind stays ``review.created`` (a new review to read), whichever way it goes."""
    drafts = []
    both = len(data["reviews"]) == 2
    for review in data["reviews"]:
        stars = "\u2605" * review["rating"] + "\u2606" * (5 - review["rating"])
        comment = f" \u201c{review['comment'][:300]}\u201d" if review["comment"] else ""
        yours = " Your review of them is public too." if both else ""
        if review["direction"] == "buyer_to_seller":
            drafts.append(Draft(data["seller_id"], "review.created", f"New review: {stars}",
                                f"A buyer rated your work {review['rating']} out of 5.{comment}{yours}",
                                link(f"/gigs/{data['gig_id']}"),
                                {"review_id": review["review_id"], "gig_id": data["gig_id"], "rating": review["rating"],
                                 "direction": review["direction"]}))
        else:
            drafts.append(Draft(data["buyer_id"], "review.created", f"New review: {stars}",
                                f"The seller rated you {review['rating']} out of 5 as a buyer.{comment}{yours}",
                                link(f"/orders/{data['order_id']}"),
                                {"review_id": review["review_id"], "gig_id": data["gig_id"], "rating": review["rating"],
                                 "direction": review["direction"], "buyer_id": data["buyer_id"]}))
    return drafts


def gig_price_dropped(data: dict) -> list[Draft]:
    """To each user in this part of the savers (the gig service chose them: it owns the favourites)."""
    price = f"{data['new_price']} {data['currency']}"
    return [Draft(user_id, "gig.price_dropped", f"Price drop: {data['title']}",
                  f"A gig you saved now starts at {price} (it was {data['old_price']} {data['currency']}).",
                  link(f"/gigs/{data['gig_id']}"),
                  {"gig_id": data["gig_id"], "title": data["title"], "old_price": data["old_price"],
                   "new_price": data["new_price"], "currency": data["currency"]})
            for user_id in data["user_ids"]]


def message_new(data: dict) -> list[Draft]:
    """Only for recipients who had no chat socket open: the others saw the message arrive."""
    return [Draft(recipient["user_id"], "message.new", f"New message from {data['sender_name']}", data["preview"],
                  link(f"/messages/{data['conversation_id']}"),
                  {"conversation_id": data["conversation_id"], "message_id": data["message_id"]},
                  email_preference=MESSAGE_EMAILS)
            for recipient in data["recipients"] if not recipient["online"]]
