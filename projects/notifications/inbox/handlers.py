"""Which events notify whom (the wording is in kinds.py)."""

from marketplace_libs.events.registry import handles

from . import kinds, services


@handles("user.registered")
def welcome(event):
    data = event.data
    services.record_registration(user_id=data["user_id"], username=data["username"], email=data["email"])
    services.notify(event_id=event.id, drafts=kinds.welcome(data))


@handles("user.preferences_updated")
def follow_preferences(event):
    data = dict(event.data)
    services.record_preferences(**data)


@handles("auth.password_reset_requested")
def password_reset_email(event):
    # Sent whatever the preferences: the person asked for it, and the link is the only way back in.
    data = event.data
    services.queue_email(event_id=event.id, user_id=data["user_id"], to_address=data["email"], kind="password_reset",
                         context={"username": data["username"], "title": "Reset your password",
                                  "link": data["reset_url"], "expires_at": data["expires_at"]})


@handles("auth.email_verification_requested")
def email_verification_email(event):
    # Sent whatever the preferences: the person is proving the address is theirs, and until then the
    # platform holds back their orders and messages. To the address the link confirms, not the read model's.
    data = event.data
    services.queue_email(event_id=event.id, user_id=data["user_id"], to_address=data["email"],
                         kind="email_verification",
                         context={"username": data["username"], "title": "Confirm your email address",
                                  "link": data["verify_url"], "expires_at": data["expires_at"]})


@handles("order.placed")
def order_placed(event):
    services.notify(event_id=event.id, drafts=kinds.order_placed(event.data))


@handles("order.paid")
def order_paid(event):
    services.notify(event_id=event.id, drafts=kinds.order_paid(event.data))


@handles("order.delivered")
def order_delivered(event):
    services.notify(event_id=event.id, drafts=kinds.order_delivered(event.data))


@handles("order.revision_requested")
def order_revision_requested(event):
    services.notify(event_id=event.id, drafts=kinds.order_revision_requested(event.data))


@handles("order.completed")
def order_completed(event):
    services.notify(event_id=event.id, drafts=kinds.order_completed(event.data))


@handles("order.cancelled")
def order_cancelled(event):
    services.notify(event_id=event.id, drafts=kinds.order_cancelled(event.data))


@handles("order.extension_requested")
def order_extension_requested(event):
    services.notify(event_id=event.id, drafts=kinds.order_extension_requested(event.data))


@handles("order.extension_answered")
def order_extension_answered(event):
    services.notify(event_id=event.id, drafts=kinds.order_extension_answered(event.data))


@handles("order.dispute_opened")
def order_dispute_opened(event):
    services.notify(event_id=event.id, drafts=kinds.order_dispute_opened(event.data))


@handles("review.published")
def reviews_published(event):
    services.notify(event_id=event.id, drafts=kinds.reviews_published(event.data))


@handles("review.created")  # retired (review.published replaces it): for events already queued or dead-lettered
def review_created(event):
    services.notify(event_id=event.id, drafts=kinds.review_created(event.data))


@handles("gig.price_dropped")
def saved_gig_price_dropped(event):
    services.notify(event_id=event.id, drafts=kinds.gig_price_dropped(event.data))


@handles("message.sent")
def message_for_the_absent(event):
    services.notify(event_id=event.id, drafts=kinds.message_new(event.data))


@handles("payment.succeeded")
def payment_succeeded(event):
    services.notify(event_id=event.id, drafts=kinds.payment_succeeded(event.data))


@handles("payment.failed")
def payment_failed(event):
    services.notify(event_id=event.id, drafts=kinds.payment_failed(event.data))


@handles("payment.refunded")
def payment_refunded(event):
    services.notify(event_id=event.id, drafts=kinds.payment_refunded(event.data))


@handles("earnings.cleared")
def earnings_cleared(event):
    services.notify(event_id=event.id, drafts=kinds.earnings_cleared(event.data))


@handles("payout.paid")
def payout_paid(event):
    services.notify(event_id=event.id, drafts=kinds.payout_paid(event.data))


@handles("payout.failed")
def payout_failed(event):
    services.notify(event_id=event.id, drafts=kinds.payout_failed(event.data))


@handles("offer.created")
def offer_received(event):
    services.notify(event_id=event.id, drafts=kinds.offer_received(event.data))


@handles("offer.accepted")
def offer_accepted(event):
    services.notify(event_id=event.id, drafts=kinds.offer_accepted(event.data))


@handles("offer.declined")
def offer_declined(event):
    services.notify(event_id=event.id, drafts=kinds.offer_declined(event.data))


@handles("offer.withdrawn")
def offer_withdrawn(event):
    services.notify(event_id=event.id, drafts=kinds.offer_withdrawn(event.data))


@handles("offer.expired")
def offer_expired(event):
    services.notify(event_id=event.id, drafts=kinds.offer_expired(event.data))
