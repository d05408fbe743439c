"""Custom offers through the gateway on the real servers: a seller's offer in a conversation reaches the
buyer over the chat socket as a message of kind "offer"; the buyer accepts, checks out and pays the offer's
price, and the order starts. Bad offers are 400, answered offers cannot be accepted, and two accepts at once
place one order."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import httpx
import pytest
from websockets.sync.client import connect

from .support import (
    assert_problem, become_seller, checkout, order_of, paid_order, publish_gig, wait_for,
)

OFFERS = "/api/orders/offers"


def ws_url(base: str, token: str) -> str:
    return base.replace("http://", "ws://") + f"/ws/chat/?token={token}"


def frame_of(socket, kind: str, *, offer_id: str, timeout: float = 15) -> dict:
    """The next frame of ``kind`` about this offer (other frames, such as typing, pass by)."""
    while True:
        frame = json.loads(socket.recv(timeout=timeout))
        message = frame.get("message") or {}
        if frame["type"] == kind and (message.get("offer") or {}).get("id") == offer_id:
            return frame


def open_conversation(gateway, a, b, **extra) -> dict:
    def attempt():
        response = gateway.post("/api/chat/conversations/", headers=a.auth(), json={"participant_id": b.id, **extra})
        return response.json() if response.status_code in (200, 201) else None

    return wait_for(attempt, interval=0.2, what="user.registered to reach the chat service")


def offer_body(conversation: dict, buyer, **changes) -> dict:
    return {"conversation_id": conversation["id"], "buyer_id": buyer.id, "title": "Product docs, proofread twice",
            "description": "Forty pages, two passes, tracked changes.", "price": "240.00", "currency": "USD",
            "delivery_days": 6, "revisions": 2, "expires_in_days": 7, **changes}


def make_offer(gateway, seller, conversation: dict, buyer, **changes) -> dict:
    """The offer, once conversation.started has reached the order service (409 conversation_pending until)."""
    def attempt():
        response = gateway.post(f"{OFFERS}/", headers=seller.auth(), json=offer_body(conversation, buyer, **changes))
        if response.status_code == 409 and response.json()["type"].endswith(":conversation_pending"):
            assert int(response.headers["retry-after"]) >= 1
            return None
        assert response.status_code == 201, response.text
        return response.json()

    return wait_for(attempt, interval=0.2, what="conversation.started to reach the order service")


@pytest.fixture
def trade(platform, gateway):
    """A seller with a gig on sale, a buyer, and their conversation about the gig."""
    seller = become_seller(platform, gateway, platform.log_in(gateway, platform.register(gateway)))
    buyer = platform.log_in(gateway, platform.register(gateway))
    gig = publish_gig(gateway, seller, "I will proofread your product documentation")
    conversation = open_conversation(gateway, buyer, seller, gig_id=gig["id"])
    return seller, buyer, gig, conversation


def test_an_offer_reaches_the_buyer_over_the_socket_and_is_accepted_paid_and_started(platform, gateway, trade):
    seller, buyer, gig, conversation = trade
    with connect(ws_url(platform.base_url, buyer.access)) as buyer_socket, \
            connect(ws_url(platform.base_url, seller.access)) as seller_socket:
        offer = make_offer(gateway, seller, conversation, buyer)
        assert offer["status"] == "pending" and offer["order_id"] is None and offer["gig_id"] == gig["id"]

        shown = frame_of(buyer_socket, "message.new", offer_id=offer["id"])["message"]
        assert shown["kind"] == "offer" and shown["sender_id"] == seller.id
        assert shown["conversation_id"] == conversation["id"]
        assert {key: shown["offer"][key] for key in ("title", "price", "currency", "delivery_days", "revisions",
                                                     "status", "order_id")} == {
            "title": offer["title"], "price": "240.00", "currency": "USD", "delivery_days": 6, "revisions": 2,
            "status": "pending", "order_id": None}
        assert frame_of(seller_socket, "message.new", offer_id=offer["id"])["message"]["id"] == shown["id"]

        accepted = gateway.post(f"{OFFERS}/{offer['id']}/accept", headers=buyer.auth())
        assert accepted.status_code == 201, accepted.text
        order = accepted.json()
        assert order["status"] == "pending_payment" and order["package"] == "custom"
        assert (order["price"], order["currency"], order["delivery_days"]) == ("240.00", "USD", 6)
        assert order["seller_id"] == seller.id and order["buyer_id"] == buyer.id

        updated = frame_of(buyer_socket, "message.updated", offer_id=offer["id"])["message"]
        assert updated["id"] == shown["id"]
        assert updated["offer"]["status"] == "accepted" and updated["offer"]["order_id"] == order["id"]

    answered = gateway.get(f"{OFFERS}/{offer['id']}/", headers=buyer.auth()).json()
    assert answered["status"] == "accepted" and answered["order_id"] == order["id"]
    # The buyer pays the offer's price plus the usual service fee: the payment service's amount is the total.
    payment = checkout(gateway, buyer, order)
    assert payment["amount"] == order["total"] and payment["currency"] == "USD"
    assert order_of(gateway, buyer, order)["price"] == "240.00"
    started = paid_order(platform, gateway, buyer, order)
    assert started["status"] == "in_progress" and started["due_at"]

    history = gateway.get(f"/api/chat/conversations/{conversation['id']}/messages/", headers=seller.auth()).json()
    [message] = [m for m in history["results"] if m["kind"] == "offer"]
    assert message["offer"]["status"] == "accepted"

    def notified(user, kind):
        return any(n["kind"] == kind for n in gateway.get("/api/notifications/", headers=user.auth()).json()["results"])

    wait_for(lambda: notified(buyer, "offer.received"), what="the buyer's offer.received notification")
    wait_for(lambda: notified(seller, "offer.accepted"), what="the seller's offer.accepted notification")


@pytest.mark.parametrize("changes, field", [
    ({"price": 240.0}, "price"),
    ({"delivery_days": 0}, "delivery_days"),
    ({"currency": "XAF"}, "currency"),
    ({"price": "0.00"}, "price"),
    ({"expires_in_days": 15}, "expires_in_days"),
])
def test_bad_offers_are_400_and_make_nothing(gateway, trade, changes, field):
    seller, buyer, _gig, conversation = trade
    make_offer(gateway, seller, conversation, buyer)  # a good one first: the conversation is known
    response = gateway.post(f"{OFFERS}/", headers=seller.auth(), json=offer_body(conversation, buyer, **changes))
    assert_problem(response, 400, field=field)
    assert gateway.get(f"{OFFERS}/?role=seller", headers=seller.auth()).json()["count"] == 1


def test_an_offer_to_oneself_or_outside_the_conversation_is_refused(platform, gateway, trade):
    seller, buyer, _gig, conversation = trade
    make_offer(gateway, seller, conversation, buyer)
    assert_problem(gateway.post(f"{OFFERS}/", headers=seller.auth(),
                                json=offer_body(conversation, seller)), 400, field="buyer_id")
    other = platform.log_in(gateway, platform.register(gateway))
    assert_problem(gateway.post(f"{OFFERS}/", headers=seller.auth(),
                                json=offer_body(conversation, other)), 400, field="buyer_id")
    # A conversation of the buyer with someone else: not the seller's to make offers in.
    theirs = open_conversation(gateway, buyer, other)
    wait_for(lambda: gateway.post(f"{OFFERS}/", headers=seller.auth(), json=offer_body(theirs, buyer)).status_code
             == 404, interval=0.2, what="conversation.started to reach the order service")
    assert_problem(gateway.post(f"{OFFERS}/", headers=seller.auth(), json=offer_body(theirs, buyer)), 404)
    assert gateway.get(f"{OFFERS}/?role=seller", headers=seller.auth()).json()["count"] == 1
    assert gateway.get(f"{OFFERS}/", headers=other.auth()).json()["count"] == 0


@pytest.mark.parametrize("answer", ["decline", "withdraw"])
def test_an_answered_offer_cannot_be_accepted(gateway, trade, answer):
    seller, buyer, _gig, conversation = trade
    offer = make_offer(gateway, seller, conversation, buyer)
    who = buyer if answer == "decline" else seller
    answered = gateway.post(f"{OFFERS}/{offer['id']}/{answer}", headers=who.auth())
    assert answered.status_code == 200 and answered.json()["status"] == {"decline": "declined",
                                                                          "withdraw": "withdrawn"}[answer]
    assert_problem(gateway.post(f"{OFFERS}/{offer['id']}/accept", headers=buyer.auth()), 409)
    assert gateway.get("/api/orders/?role=buyer", headers=buyer.auth()).json()["count"] == 0


def test_two_accepts_at_once_place_one_order(platform, gateway, trade):
    seller, buyer, _gig, conversation = trade
    offer = make_offer(gateway, seller, conversation, buyer)
    attempts = 6
    start = Barrier(attempts)

    def accept(_):
        with httpx.Client(base_url=platform.base_url, timeout=15) as client:
            start.wait()
            return client.post(f"{OFFERS}/{offer['id']}/accept", headers=buyer.auth()).status_code

    with ThreadPoolExecutor(max_workers=attempts) as pool:
        statuses = sorted(pool.map(accept, range(attempts)))
    assert statuses == [201] + [409] * (attempts - 1)
    orders = gateway.get("/api/orders/?role=buyer", headers=buyer.auth()).json()
    assert orders["count"] == 1 and orders["results"][0]["package"] == "custom"
    assert gateway.get(f"{OFFERS}/{offer['id']}/", headers=buyer.auth()).json()["order_id"] == orders["results"][0]["id"]
