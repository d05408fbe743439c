"""What the user service does with other services' events."""

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


@handles("review.created")
def count_review(event):
    data = event.data
    services.record_review(review_id=data["review_id"], seller_id=data["seller_id"], rating=data["rating"],
                           created_at=event.datetime("created_at"))


@handles("review.hidden")
def uncount_review(event):
    services.forget_review(review_id=event.data["review_id"], seller_id=event.data["seller_id"],
                           hidden_at=event.datetime("hidden_at"))


@handles("order.completed")
def count_completed_sale(event):
    data = event.data
    services.record_completed_sale(order_id=data["order_id"], seller_id=data["seller_id"],
                                   completed_at=event.datetime("completed_at"))
