"""Each notification's data.resource is the API path about it; data.link the web client's page."""

import pytest

from inbox import kinds


@pytest.mark.parametrize("kind, data, resource", [
    ("welcome", {"username": "ada"}, "/api/users/ada"),
    ("order.paid", {"order_id": "o1", "gig_id": "g1"}, "/api/orders/o1/"),
    ("review.created", {"review_id": "r1", "gig_id": "g1", "rating": 5}, "/api/reviews/?gig_id=g1"),
    ("review.created", {"review_id": "r1", "buyer_id": "b1", "rating": 5}, "/api/reviews/?buyer_id=b1"),
    ("message.new", {"conversation_id": "c1", "message_id": "m1"}, "/api/chat/conversations/c1/messages/"),
    ("payment.succeeded", {"order_id": "o1", "payment_id": "p1"}, "/api/orders/o1/"),
    ("payment.refunded", {"order_id": "o1", "payment_id": "p1"}, "/api/orders/o1/"),
    ("earnings.cleared", {"order_id": "o1", "amount": "32.00"}, "/api/payments/balance"),
    ("payout.paid", {"payout_id": "po1"}, "/api/payments/payouts"),
    ("payout.failed", {"payout_id": "po1"}, "/api/payments/payouts"),
])
def test_the_resource_is_the_api_path_about_the_notification(kind, data, resource):
    assert kinds.resource(kind, data) == resource


def test_every_kind_a_handler_makes_has_a_resource(settings):
    drafts = [
        *kinds.welcome({"user_id": "u1", "username": "ada"}),
        *kinds.review_created({"seller_id": "s1", "review_id": "r1", "gig_id": "g1", "rating": 4, "comment": ""}),
        *kinds.message_new({"sender_name": "ada", "preview": "Hi", "conversation_id": "c1", "message_id": "m1",
                            "recipients": [{"user_id": "u2", "online": False}]}),
        *kinds.payment_failed({"buyer_id": "b1", "order_id": "o1", "payment_id": "p1", "amount": "1.00",
                               "currency": "USD", "reason": "Declined."}),
        *kinds.earnings_cleared({"seller_id": "s1", "order_id": "o1", "amount": "1.00", "currency": "USD"}),
        *kinds.payout_paid({"seller_id": "s1", "payout_id": "po1", "amount": "1.00", "currency": "USD"}),
    ]
    for draft in drafts:
        assert kinds.resource(draft.kind, draft.data).startswith("/api/")
        assert draft.link.startswith(settings.MARKETPLACE_PUBLIC_URL)
