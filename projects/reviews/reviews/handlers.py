"""What the review service keeps of other services' events: reviewable orders and usernames."""

from marketplace_libs.events.registry import handles

from . import services


@handles("order.completed")
def allow_review(event):
    data = event.data
    services.record_completed_order(order_id=data["order_id"], gig_id=data["gig_id"], buyer_id=data["buyer_id"],
                                    seller_id=data["seller_id"], completed_at=event.datetime("completed_at"))


@handles("user.registered")
def remember_username(event):
    services.record_person(user_id=event.data["user_id"], username=event.data["username"])


@handles("user.profile_updated")
def follow_username(event):
    services.record_person(user_id=event.data["user_id"], username=event.data["username"],
                           display_name=event.data["display_name"], revision=event.data["revision"])
