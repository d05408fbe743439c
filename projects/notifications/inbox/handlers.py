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


ORDER_KINDS = {
    "order.placed": kinds.order_placed,
    "order.paid": kinds.order_paid,
    "order.delivered": kinds.order_delivered,
    "order.revision_requested": kinds.order_revision_requested,
    "order.completed": kinds.order_completed,
    "order.cancelled": kinds.order_cancelled,
}


def _order_handler(drafts_of):
    def handle(event):
        services.notify(event_id=event.id, drafts=drafts_of(event.data))

    return handle


for _event_type, _drafts_of in ORDER_KINDS.items():
    handles(_event_type)(_order_handler(_drafts_of))


@handles("review.created")
def review_created(event):
    services.notify(event_id=event.id, drafts=kinds.review_created(event.data))


@handles("message.sent")
def message_for_the_absent(event):
    services.notify(event_id=event.id, drafts=kinds.message_new(event.data))
