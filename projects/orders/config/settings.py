import environ

from marketplace_libs.review_window import review_window_days
from marketplace_libs.settings import service_settings, with_admin_sso
from orders.money import percentage

globals().update(service_settings("orders", apps=[
    "marketplace_libs.events",
    "marketplace_libs.idempotency",
    "orders",
]))

MIDDLEWARE = with_admin_sso(MIDDLEWARE)  # noqa: F821

_env = environ.Env()

# The money terms of every order placed from now on (orders already placed keep theirs): the buyer's
# service fee and the seller's commission, as percentages of the price (docs/orders.md, "Money terms").
BUYER_FEE_PERCENT = percentage("MARKETPLACE_BUYER_FEE_PERCENT",
                               _env.str("MARKETPLACE_BUYER_FEE_PERCENT", default="5.5"))
SELLER_COMMISSION_PERCENT = percentage("MARKETPLACE_SELLER_COMMISSION_PERCENT",
                                       _env.str("MARKETPLACE_SELLER_COMMISSION_PERCENT", default="20"))

# A delivered order the buyer leaves alone completes by itself after this many days.
ORDER_AUTOCOMPLETE_DAYS = _env.float("MARKETPLACE_ORDER_AUTOCOMPLETE_DAYS", default=3)
# The parties of a completed order may review it this long after its completion (the review service's rule): the
# summary's awaiting_your_review counts the orders the caller has not reviewed inside it.
REVIEW_WINDOW_DAYS = review_window_days(_env)
# Periodic work, run by the service's Celery beat (manage_all.py up starts it).
MARKETPLACE_PERIODIC_TASKS = {
    "auto-complete-delivered-orders": {
        "task": "orders.tasks.auto_complete_delivered_orders",
        "every_seconds": _env.int("MARKETPLACE_ORDER_AUTOCOMPLETE_CHECK_SECONDS", default=300),
    },
    # A pending custom offer past its expires_at becomes expired (an accept after it is refused anyway).
    "expire-offers": {
        "task": "orders.tasks.expire_offers",
        "every_seconds": _env.int("MARKETPLACE_OFFER_EXPIRY_CHECK_SECONDS", default=60),
    },
    # Idempotency-Key answers (POST /api/orders/) are kept 24 hours.
    "purge-expired-idempotency-keys": {
        "task": "marketplace_libs.idempotency.tasks.purge_expired_keys",
        "every_seconds": 3600,
    },
}
