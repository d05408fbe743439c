"""Each notification's data.resource is the API path about it; data.link the web client's page."""

import pytest

from inbox import kinds


@pytest.mark.parametrize("kind, data, resource", [
    ("welcome", {"username": "ada"}, "/api/users/ada"),
    ("order.paid", {"order_id": "o1", "gig_id": "g1"}, "/api/orders/o1/"),
    ("review.created", {"review_id": "r1", "gig_id": "g1", "rating": 5}, "/api/reviews/?gig_id=g1"),
    ("message.new", {"conversation_id": "c1", "message_id": "m1"}, "/api/chat/conversations/c1/messages/"),
])
def test_the_resource_is_the_api_path_about_the_notification(kind, data, resource):
    assert kinds.resource(kind, data) == resource


def test_every_kind_a_handler_makes_has_a_resource(settings):
    drafts = [
        *kinds.welcome({"user_id": "u1", "username": "ada"}),
        *kinds.review_created({"seller_id": "s1", "review_id": "r1", "gig_id": "g1", "rating": 4, "comment": ""}),
        *kinds.message_new({"sender_name": "ada", "preview": "Hi", "conversation_id": "c1", "message_id": "m1",
                            "recipients": [{"user_id": "u2", "online": False}]}),
    ]
    for draft in drafts:
        assert kinds.resource(draft.kind, draft.data).startswith("/api/")
        assert draft.link.startswith(settings.MARKETPLACE_PUBLIC_URL)
