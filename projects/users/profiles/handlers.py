"""What the user service does with other services' events."""

from django.utils.dateparse import parse_datetime

from marketplace_libs.events.registry import handles

from . import services


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
