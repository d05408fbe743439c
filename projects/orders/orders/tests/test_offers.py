"""Custom offers: the seller's offer in a conversation, its validation, the buyer's answer (an order at the
offer's terms), withdrawal, expiry by the scheduler, and who may see or move which offer."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from marketplace_libs.testing import problem, published
from orders import offers
from orders.models import Offer, Order

from .conftest import ORDERS, Party, deliver_event, gig_event, pay

OFFERS = f"{ORDERS}/offers"


def conversation_between(*user_ids, gig_id=None) -> str:
    conversation_id = str(uuid.uuid4())
    deliver_event("conversation.started", {"conversation_id": conversation_id, "participant_ids": list(user_ids),
                                           "gig_id": gig_id, "order_id": None,
                                           "started_at": "2026-06-01T09:00:00Z"})
    return conversation_id


@pytest.fixture
def conversation(seller, buyer, gig):
    return conversation_between(buyer.id, seller.id, gig_id=gig["gig_id"])


def offer_body(conversation: str, buyer: Party, **changes) -> dict:
    return {"conversation_id": conversation, "buyer_id": buyer.id, "title": "Logo and business cards",
            "description": "Three concepts, then cards in the chosen one.", "price": "240.00", "currency": "USD",
            "delivery_days": 6, "revisions": 2, "expires_in_days": 7, **changes}


def make(seller: Party, conversation: str, buyer: Party, **changes):
    return seller.client.post(f"{OFFERS}/", offer_body(conversation, buyer, **changes), format="json")


@pytest.fixture
def offer(seller, buyer, conversation) -> dict:
    response = make(seller, conversation, buyer)
    assert response.status_code == 201, response.content
    return response.json()


# --- making an offer ---------------------------------------------------------------------------------

def test_a_seller_makes_an_offer_in_their_conversation(seller, buyer, conversation, gig, offer):
    assert offer["status"] == "pending" and offer["order_id"] is None
    assert (offer["seller_id"], offer["buyer_id"], offer["conversation_id"]) == (seller.id, buyer.id, conversation)
    assert offer["price"] == "240.00" and offer["revisions"] == 2 and offer["gig_id"] == gig["gig_id"]
    expires_at = timezone.datetime.fromisoformat(offer["expires_at"].replace("Z", "+00:00"))
    assert timedelta(days=6, hours=23) < expires_at - timezone.now() <= timedelta(days=7)
    [event] = published("offer.created")
    assert event["offer_id"] == offer["id"] and event["status"] == "pending" and event["price"] == "240.00"


@pytest.mark.parametrize("changes, field", [
    ({"price": 240.0}, "price"),            # a JSON number: a float never carries money here
    ({"price": 240}, "price"),
    ({"price": "0.00"}, "price"),
    ({"price": "-5.00"}, "price"),
    ({"price": "10.001"}, "price"),
    ({"delivery_days": 0}, "delivery_days"),
    ({"delivery_days": 2.5}, "delivery_days"),
    ({"currency": "XAF"}, "currency"),      # ISO 4217, but not one the marketplace sells in
    ({"currency": "usd"}, "currency"),
    ({"expires_in_days": 0}, "expires_in_days"),
    ({"expires_in_days": 15}, "expires_in_days"),
    ({"revisions": -1}, "revisions"),
    ({"title": ""}, "title"),
    ({"conversation_id": "not-a-uuid"}, "conversation_id"),
])
def test_bad_offers_are_400_and_store_nothing(seller, buyer, conversation, changes, field):
    body = problem(make(seller, conversation, buyer, **changes), 400)
    assert field in body["errors"]
    assert not Offer.objects.exists() and not published("offer.created")


def test_an_offer_to_oneself_is_400(seller, buyer, conversation):
    body = problem(make(seller, conversation, seller), 400)
    assert "buyer_id" in body["errors"] and not Offer.objects.exists()


def test_an_offer_to_someone_outside_the_conversation_is_400(seller, buyer, party, conversation):
    stranger = party()
    body = problem(make(seller, conversation, stranger), 400)
    assert "buyer_id" in body["errors"] and not Offer.objects.exists()


def test_an_offer_in_a_conversation_the_seller_is_not_in_is_404(seller, buyer, party, gig):
    others = conversation_between(buyer.id, party().id)
    problem(make(seller, others, buyer), 404)
    assert not Offer.objects.exists()


def test_an_unknown_conversation_is_409_conversation_pending_with_retry_after(seller, buyer, gig):
    response = make(seller, str(uuid.uuid4()), buyer)
    assert problem(response, 409)["type"].endswith(":conversation_pending")
    assert int(response["Retry-After"]) >= 1 and not Offer.objects.exists()


def test_a_buyer_without_the_seller_role_cannot_make_offers(buyer, party, gig):
    other = party()
    conversation_id = conversation_between(buyer.id, other.id)
    assert problem(make(buyer, conversation_id, other), 403)["type"].endswith(":role_missing")


def test_an_unverified_seller_cannot_make_offers(client_for, seller, buyer, conversation):
    unverified = Party(seller.id, client_for(user_id=seller.id, username="s", roles=("buyer", "seller"),
                                             email_verified=False))
    assert problem(make(unverified, conversation, buyer), 403)["type"].endswith(":email_unverified")


def test_the_offer_is_sold_under_the_conversations_gig_or_the_sellers_latest(seller, buyer, party, gig):
    newer = gig_event(seller.id)
    newer["updated_at"] = "2026-06-02T08:00:00Z"
    deliver_event("gig.created", newer)
    about_nothing = conversation_between(seller.id, buyer.id)
    assert make(seller, about_nothing, buyer).json()["gig_id"] == newer["gig_id"]
    named = make(seller, about_nothing, buyer, gig_id=gig["gig_id"])
    assert named.json()["gig_id"] == gig["gig_id"]
    someone_elses = gig_event(party(roles=("seller",)).id)
    deliver_event("gig.created", someone_elses)
    assert "gig_id" in problem(make(seller, about_nothing, buyer, gig_id=someone_elses["gig_id"]), 400)["errors"]


def test_a_seller_with_no_gig_on_sale_cannot_make_offers(party, buyer):
    seller = party(roles=("buyer", "seller"))
    conversation_id = conversation_between(seller.id, buyer.id)
    assert "gig_id" in problem(make(seller, conversation_id, buyer), 400)["errors"]


def test_conversation_started_is_kept_once(seller, buyer):
    conversation_id = conversation_between(seller.id, buyer.id)
    offers.record_conversation(conversation_id=conversation_id, participant_ids=[buyer.id, str(uuid.uuid4())],
                               gig_id=None, started_at=timezone.now())
    from orders.models import Conversation
    assert Conversation.objects.get(pk=conversation_id).participants == {seller.id, buyer.id}


# --- accepting ---------------------------------------------------------------------------------------

def test_the_buyer_accepts_and_the_order_is_placed_at_the_offers_terms(seller, buyer, offer, gig, settings):
    settings.BUYER_FEE_PERCENT, settings.SELLER_COMMISSION_PERCENT = Decimal("5.5"), Decimal("20")
    response = buyer.client.post(f"{OFFERS}/{offer['id']}/accept")
    assert response.status_code == 201, response.content
    order = response.json()
    assert order["status"] == "pending_payment" and order["package"] == "custom"
    assert (order["price"], order["service_fee"], order["total"]) == ("240.00", "13.20", "253.20")
    assert order["delivery_days"] == 6 and order["revisions_allowed"] == 2 and order["title"] == offer["title"]
    assert (order["buyer_id"], order["seller_id"], order["gig_id"]) == (buyer.id, seller.id, gig["gig_id"])
    assert "seller_earnings" not in order  # the buyer's view
    stored = Offer.objects.get(pk=offer["id"])
    assert stored.status == "accepted" and str(stored.order_id) == order["id"]
    [placed] = published("order.placed")
    assert placed["order_id"] == order["id"] and placed["total"] == "253.20" and placed["seller_earnings"] == "192.00"
    [accepted] = published("offer.accepted")
    assert accepted["order_id"] == order["id"] and accepted["status"] == "accepted"
    seen = buyer.client.get(f"{OFFERS}/{offer['id']}/").json()
    assert seen["status"] == "accepted" and seen["order_id"] == order["id"]


def test_the_accepted_offers_order_is_paid_and_starts(buyer, offer):
    order = buyer.client.post(f"{OFFERS}/{offer['id']}/accept").json()
    pay(order)
    assert Order.objects.get(pk=order["id"]).status == "in_progress"


@pytest.mark.parametrize("answer", ["decline", "withdraw"])
def test_an_answered_offer_cannot_be_accepted(seller, buyer, offer, answer):
    party, status = (buyer, "declined") if answer == "decline" else (seller, "withdrawn")
    response = party.client.post(f"{OFFERS}/{offer['id']}/{answer}")
    assert response.status_code == 200 and response.json()["status"] == status
    problem(buyer.client.post(f"{OFFERS}/{offer['id']}/accept"), 409)
    problem(party.client.post(f"{OFFERS}/{offer['id']}/{answer}"), 409)
    assert not Order.objects.exists() and not published("order.placed")
    assert len(published(f"offer.{status}")) == 1


def test_accepting_twice_is_409_the_second_time(buyer, offer):
    assert buyer.client.post(f"{OFFERS}/{offer['id']}/accept").status_code == 201
    problem(buyer.client.post(f"{OFFERS}/{offer['id']}/accept"), 409)
    assert Order.objects.count() == 1


def test_an_offer_past_expires_at_is_409_before_the_scheduler_ran(buyer, offer):
    Offer.objects.filter(pk=offer["id"]).update(expires_at=timezone.now() - timedelta(seconds=1))
    problem(buyer.client.post(f"{OFFERS}/{offer['id']}/accept"), 409)
    problem(buyer.client.post(f"{OFFERS}/{offer['id']}/decline"), 409)
    assert not Order.objects.exists()
    assert buyer.client.get(f"{OFFERS}/{offer['id']}/").json()["status"] == "expired"


def test_the_same_idempotency_key_accepts_once(buyer, offer):
    first = buyer.client.post(f"{OFFERS}/{offer['id']}/accept", HTTP_IDEMPOTENCY_KEY="accept-1")
    again = buyer.client.post(f"{OFFERS}/{offer['id']}/accept", HTTP_IDEMPOTENCY_KEY="accept-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert Order.objects.count() == 1


def test_an_unverified_buyer_cannot_accept(client_for, buyer, offer):
    unverified = client_for(user_id=buyer.id, username="b", email_verified=False)
    assert problem(unverified.post(f"{OFFERS}/{offer['id']}/accept"), 403)["type"].endswith(":email_unverified")
    assert not Order.objects.exists()


# --- who may do what ---------------------------------------------------------------------------------

def test_someone_elses_offer_is_404_to_every_call(party, offer):
    stranger = party(roles=("buyer", "seller"))
    problem(stranger.client.get(f"{OFFERS}/{offer['id']}/"), 404)
    for step in ("accept", "decline", "withdraw"):
        problem(stranger.client.post(f"{OFFERS}/{offer['id']}/{step}"), 404)
    assert stranger.client.get(f"{OFFERS}/").json()["count"] == 0
    assert Offer.objects.get(pk=offer["id"]).status == "pending"


def test_the_other_party_is_403_for_the_steps_that_are_not_theirs(seller, buyer, offer):
    problem(seller.client.post(f"{OFFERS}/{offer['id']}/accept"), 403)
    problem(seller.client.post(f"{OFFERS}/{offer['id']}/decline"), 403)
    problem(buyer.client.post(f"{OFFERS}/{offer['id']}/withdraw"), 403)
    assert Offer.objects.get(pk=offer["id"]).status == "pending"


def test_the_lists_by_role(seller, buyer, offer):
    assert [o["id"] for o in buyer.client.get(f"{OFFERS}/?role=buyer").json()["results"]] == [offer["id"]]
    assert buyer.client.get(f"{OFFERS}/?role=seller").json()["count"] == 0
    assert [o["id"] for o in seller.client.get(f"{OFFERS}/?role=seller").json()["results"]] == [offer["id"]]
    assert seller.client.get(f"{OFFERS}/").json()["count"] == 1
    problem(seller.client.get(f"{OFFERS}/?role=admin"), 400)


# --- expiry -----------------------------------------------------------------------------------------

def test_the_scheduler_expires_pending_offers_past_expires_at_once(seller, buyer, conversation, offer):
    declined = make(seller, conversation, buyer).json()
    buyer.client.post(f"{OFFERS}/{declined['id']}/decline")
    expires_at = Offer.objects.get(pk=offer["id"]).expires_at
    assert offers.expire_offers(now=expires_at - timedelta(seconds=1)) == 0
    assert offers.expire_offers(now=expires_at + timedelta(days=30)) == 1  # the declined one stays declined
    assert offers.expire_offers(now=expires_at + timedelta(days=30)) == 0
    assert Offer.objects.get(pk=offer["id"]).status == "expired"
    assert Offer.objects.get(pk=declined["id"]).status == "declined"
    [event] = published("offer.expired")
    assert event["offer_id"] == offer["id"] and event["status"] == "expired" and "expired_at" in event
    problem(buyer.client.post(f"{OFFERS}/{offer['id']}/accept"), 409)


def test_the_expiry_is_scheduled_for_the_beat():
    from config.celery import app

    entry = app.conf.beat_schedule["expire-offers"]
    assert entry["task"] == "orders.tasks.expire_offers" and entry["task"] in app.tasks
