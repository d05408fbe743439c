"""What the gig service keeps of other services' events: seller cards and gig stats."""

from marketplace_libs.events.registry import handles

from . import services


@handles("user.profile_updated")
def keep_seller_card(event):
    data = event.data
    services.record_profile_card(user_id=data["user_id"], username=data["username"],
                                 display_name=data["display_name"], revision=data["revision"], level=data.get("level"))


@handles("review.published")
def count_published_review(event):
    for review in event.data["reviews"]:
        if review["direction"] == "buyer_to_seller":  # the seller's review of the buyer does not rate the gig
            services.record_review(review_id=review["review_id"], gig_id=event.data["gig_id"], rating=review["rating"])


@handles("review.created")  # retired (review.published replaces it): for events already queued or dead-lettered
def count_review(event):
    services.record_review(review_id=event.data["review_id"], gig_id=event.data["gig_id"], rating=event.data["rating"])


@handles("review.hidden")
def uncount_review(event):
    # Events before issue 22 had no direction: a buyer's review.
    if event.data.get("direction", "buyer_to_seller") == "buyer_to_seller":
        services.forget_review(review_id=event.data["review_id"], gig_id=event.data["gig_id"])


@handles("order.completed")
def count_sale(event):
    services.record_sale(order_id=event.data["order_id"], gig_id=event.data["gig_id"])
