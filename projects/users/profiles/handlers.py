"""What the user service does with other services' events."""

from django.utils.dateparse import parse_datetime

from marketplace_libs.events.registry import handles

from . import services, trust_services


@handles("user.registered")
def create_profile(event):
    data = event.data
    services.record_registration(user_id=data["user_id"], username=data["username"], email=data["email"],
                                 date_joined=event.datetime("date_joined"))


@handles("user.deactivated")
def hide_deactivated_profile(event):
    services.record_deactivation(user_id=event.data["user_id"], reason=event.data["reason"],
                                 at=event.datetime("deactivated_at"))


@handles("user.reactivated")
def show_reactivated_profile(event):
    services.record_reactivation(user_id=event.data["user_id"], at=event.datetime("reactivated_at"))


@handles("review.published")
def count_published_reviews(event):
    data = event.data
    services.record_published_reviews(reviews=[{**review, "created_at": parse_datetime(review["created_at"])}
                                               for review in data["reviews"]],
                                      buyer_id=data["buyer_id"], seller_id=data["seller_id"])


@handles("review.created")  # retired (review.published replaces it): for events already queued or dead-lettered
def count_review(event):
    data = event.data
    services.record_review(review_id=data["review_id"], seller_id=data["seller_id"], rating=data["rating"],
                           created_at=event.datetime("created_at"))


@handles("review.hidden")
def uncount_review(event):
    data = event.data
    # Events before issue 22 had neither direction nor buyer_id: a buyer's review of the seller.
    services.forget_review(review_id=data["review_id"], seller_id=data["seller_id"],
                           hidden_at=event.datetime("hidden_at"), direction=data.get("direction", "buyer_to_seller"),
                           buyer_id=data.get("buyer_id"))


@handles("order.completed")
def count_completed_sale(event):
    data = event.data
    services.record_completed_sale(order_id=data["order_id"], seller_id=data["seller_id"],
                                   completed_at=event.datetime("completed_at"))
    trust_services.record_order_facts(order_id=data["order_id"], seller_id=data["seller_id"], paid=True,
                                      completed_at=event.datetime("completed_at"))


# --- trust signals (docs/trust-signals.md) ---

@handles("order.paid")
def note_order_due(event):
    data = event.data
    trust_services.record_order_facts(order_id=data["order_id"], seller_id=data["seller_id"], paid=True,
                                      due_at=event.datetime("due_at"))


@handles("order.extension_answered")
def note_order_due_moved(event):
    data = event.data
    trust_services.record_order_facts(order_id=data["order_id"], seller_id=data["seller_id"], paid=True,
                                      due_at=event.datetime("due_at"))


@handles("order.delivered")
def note_order_delivered(event):
    data = event.data
    trust_services.record_order_facts(order_id=data["order_id"], seller_id=data["seller_id"], paid=True,
                                      delivered_at=event.datetime("delivered_at"))


@handles("order.cancelled")
def note_order_cancelled(event):
    data = event.data
    # `refunded`: the buyer had paid, so the cancellation counts against the seller's completion rate.
    trust_services.record_order_facts(order_id=data["order_id"], seller_id=data["seller_id"], paid=data["refunded"],
                                      cancelled_at=event.datetime("cancelled_at"))


@handles("message.sent")
def note_first_messages(event):
    data = event.data
    if "seq" not in data:
        return  # sent before messages were numbered: the conversation's opening cannot be told
    for recipient in data["recipients"]:
        trust_services.record_message(conversation_id=data["conversation_id"], sender_id=data["sender_id"],
                                      recipient_id=recipient["user_id"], seq=data["seq"],
                                      sent_at=event.datetime("sent_at"))


@handles("presence.changed")
def follow_presence(event):
    data = event.data
    trust_services.record_presence(user_id=data["user_id"], online=data["online"], at=event.datetime("at"),
                                   revision=data["revision"])
