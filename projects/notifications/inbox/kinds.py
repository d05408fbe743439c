"""Which event tells whom what: one function per event type, returning the notifications to make.

Kept apart from the services so the wording, the recipients and the email preference that governs
each kind are read (and reviewed) in one place.
"""

from __future__ import annotations

from dataclasses import dataclass, field

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


def resource(kind: str, data: dict) -> str:
    """The API path (through the gateway, with the recipient's token) that answers with what a
    notification is about: the most specific of the ids its data carries."""
    if "order_id" in data:
        return f"/api/orders/{data['order_id']}/"
    if "conversation_id" in data:
        return f"/api/chat/conversations/{data['conversation_id']}/messages/"
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
    how = "The buyer accepted your delivery." if data["by"] == "buyer" else \
        "The order completed automatically: the buyer did not respond to the delivery."
    return [Draft(data["seller_id"], "order.completed", f"Order completed: {data['title']}",
                  f"{how} Well done!", link(f"/orders/{data['order_id']}"), _order(data))]


def order_cancelled(data: dict) -> list[Draft]:
    refund = " The payment is being refunded to the buyer." if data["refunded"] else ""
    body = f"Cancelled by the {data['by']}: \u201c{data['reason'][:300]}\u201d.{refund}"
    return [Draft(user_id, "order.cancelled", f"Order cancelled: {data['title']}", body,
                  link(f"/orders/{data['order_id']}"), {**_order(data), "refunded": data["refunded"]})
            for user_id in (data["buyer_id"], data["seller_id"])]


def review_created(data: dict) -> list[Draft]:
    stars = "\u2605" * data["rating"] + "\u2606" * (5 - data["rating"])
    comment = f" \u201c{data['comment'][:300]}\u201d" if data["comment"] else ""
    return [Draft(data["seller_id"], "review.created", f"New review: {stars}",
                  f"A buyer rated your work {data['rating']} out of 5.{comment}", link(f"/gigs/{data['gig_id']}"),
                  {"review_id": data["review_id"], "gig_id": data["gig_id"], "rating": data["rating"]})]


def message_new(data: dict) -> list[Draft]:
    """Only for recipients who had no chat socket open: the others saw the message arrive."""
    return [Draft(recipient["user_id"], "message.new", f"New message from {data['sender_name']}", data["preview"],
                  link(f"/messages/{data['conversation_id']}"),
                  {"conversation_id": data["conversation_id"], "message_id": data["message_id"]},
                  email_preference=MESSAGE_EMAILS)
            for recipient in data["recipients"] if not recipient["online"]]
