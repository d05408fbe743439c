"""Custom offers in chat: conversation.started for the order service, and each offer.* event shown as one
message of kind "offer" in its conversation, pushed to both participants (real commits: frames go out after
them)."""

from __future__ import annotations

import uuid

import pytest
from django.utils import timezone

from marketplace_libs.events import catalogue
from marketplace_libs.events.consumer import apply_events
from marketplace_libs.events.envelope import Event
from marketplace_libs.testing import published
from messaging.models import Message

from .conftest import CHAT, conversation_between

pytestmark = pytest.mark.django_db(transaction=True)


def deliver_event(event_type: str, data: dict, *, event_id: str | None = None) -> set[str]:
    """As the worker applies it: checked against its schema, then inbox and handler in one transaction."""
    catalogue.validate(event_type, data)
    return apply_events([Event(id=event_id or str(uuid.uuid4()), type=event_type, version=1,
                               occurred_at=timezone.now(), producer="orders", correlation_id="test", data=data)])


def offer_event(conversation_id: str, seller, buyer, *, status="pending", offer_id=None, **changes) -> dict:
    data = {"offer_id": offer_id or str(uuid.uuid4()), "conversation_id": conversation_id, "seller_id": seller.id,
            "buyer_id": buyer.id, "gig_id": str(uuid.uuid4()), "title": "Logo and business cards",
            "description": "Three concepts.", "price": "240.00", "currency": "USD", "delivery_days": 6,
            "revisions": 2, "status": status, "expires_at": "2026-06-08T09:00:00.000000Z",
            "created_at": "2026-06-01T09:00:00.000000Z", "order_id": None, **changes}
    if status != "pending":
        data[f"{status}_at"] = "2026-06-02T09:00:00.000000Z"
    return data


def history(person, conversation_id: str) -> list[dict]:
    return person.client.get(f"{CHAT}/conversations/{conversation_id}/messages/").json()["results"]


def test_starting_a_conversation_tells_who_takes_part_once(person):
    a, b = person(), person()
    conversation = conversation_between(a, b)
    conversation_between(b, a)  # the same pair: the same conversation, no second event
    [started] = published("conversation.started")
    assert started["conversation_id"] == conversation["id"]
    assert sorted(started["participant_ids"]) == sorted([a.id, b.id]) and started["gig_id"] is None


def test_a_new_offer_is_a_message_of_kind_offer_that_both_sockets_receive(sockets, person):
    seller, buyer = person(), person()
    conversation = conversation_between(buyer, seller)
    seller_tab, buyer_tab = sockets(seller.token), sockets(buyer.token)
    event = offer_event(conversation["id"], seller, buyer)
    deliver_event("offer.created", event)
    for socket in (buyer_tab, seller_tab):
        message = socket.receive_until("message.new")["message"]
        assert message["kind"] == "offer" and message["sender_id"] == seller.id
        offer = message["offer"]
        assert offer["id"] == event["offer_id"] and offer["status"] == "pending" and offer["price"] == "240.00"
        assert {"title", "description", "currency", "delivery_days", "revisions", "expires_at", "order_id"} <= set(offer)
    [shown] = history(buyer, conversation["id"])
    assert shown["kind"] == "offer" and shown["offer"]["id"] == event["offer_id"]
    listed = buyer.client.get(f"{CHAT}/conversations/").json()["results"][0]
    assert listed["last_message"]["kind"] == "offer" and listed["unread_count"] == 1
    assert not published("message.sent")  # the notification service tells of offers from offer.created


def test_an_answer_updates_the_same_message_and_is_pushed(sockets, person):
    seller, buyer = person(), person()
    conversation = conversation_between(buyer, seller)
    created = offer_event(conversation["id"], seller, buyer)
    deliver_event("offer.created", created)
    seller_tab, buyer_tab = sockets(seller.token), sockets(buyer.token)
    order_id = str(uuid.uuid4())
    deliver_event("offer.accepted", offer_event(conversation["id"], seller, buyer, status="accepted",
                                                offer_id=created["offer_id"], order_id=order_id))
    for socket in (seller_tab, buyer_tab):
        updated = socket.receive_until("message.updated")["message"]
        assert updated["offer"]["status"] == "accepted" and updated["offer"]["order_id"] == order_id
    [message] = history(buyer, conversation["id"])
    assert message["offer"]["status"] == "accepted" and Message.objects.count() == 1
    # A late copy of an earlier word (a retried offer.created) changes nothing.
    deliver_event("offer.created", created)
    assert history(buyer, conversation["id"])[0]["offer"]["status"] == "accepted"
    assert buyer_tab.nothing_more()


def test_an_answer_heard_before_the_offer_shows_it_answered(person):
    seller, buyer = person(), person()
    conversation = conversation_between(buyer, seller)
    declined = offer_event(conversation["id"], seller, buyer, status="declined")
    deliver_event("offer.declined", declined)
    deliver_event("offer.created", offer_event(conversation["id"], seller, buyer, offer_id=declined["offer_id"]))
    [message] = history(seller, conversation["id"])
    assert message["offer"]["status"] == "declined"


def test_the_same_event_twice_shows_one_message(person):
    seller, buyer = person(), person()
    conversation = conversation_between(buyer, seller)
    event, event_id = offer_event(conversation["id"], seller, buyer), str(uuid.uuid4())
    assert deliver_event("offer.created", event, event_id=event_id)
    assert not deliver_event("offer.created", event, event_id=event_id)
    assert Message.objects.count() == 1


@pytest.mark.parametrize("who", ["stranger_seller", "stranger_buyer", "unknown_conversation"])
def test_an_offer_naming_anyone_but_the_two_participants_is_not_shown(sockets, person, who):
    seller, buyer, stranger = person(), person(), person()
    conversation = conversation_between(buyer, seller)
    buyer_tab = sockets(buyer.token)
    if who == "stranger_seller":
        event = offer_event(conversation["id"], stranger, buyer)
    elif who == "stranger_buyer":
        event = offer_event(conversation["id"], seller, stranger)
    else:
        event = offer_event(str(uuid.uuid4()), seller, buyer)
    assert deliver_event("offer.created", event)  # handled (logged), not retried forever
    assert not Message.objects.exists() and history(buyer, conversation["id"]) == []
    assert buyer_tab.nothing_more()


def test_text_messages_say_their_kind(person):
    a, b = person(), person()
    conversation = conversation_between(a, b)
    sent = a.client.post(f"{CHAT}/conversations/{conversation['id']}/messages/", {"body": "Hello"}, format="json")
    assert sent.json()["kind"] == "text" and sent.json()["offer"] is None
    [message] = history(b, conversation["id"])
    assert message["kind"] == "text" and message["offer"] is None
    assert Message.objects.get().kind == "text"  # written by the send path's plain SQL: the column's default
