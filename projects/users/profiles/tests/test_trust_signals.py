"""Trust signals from events (docs/trust-signals.md): on-time and completion rates, response time, presence,
the level and its thresholds, and the nightly recompute agreeing with the incremental updates."""

from __future__ import annotations

import random
import uuid
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from marketplace_libs.events.catalogue import validate
from marketplace_libs.testing import deliver, event, published
from marketplace_libs.times import iso_utc
from profiles import levels, trust_services
from profiles.models import FirstMessage, OrderFact, Profile, SellerTally

from .conftest import USERS, registered

SELLER_CARD = {"headline": "Logos that last", "description": "Twenty years of logos for small businesses."}
NOW = timezone.now()
SMALL_LEVELS = {
    "level_one": levels.Thresholds(min_orders=2, min_rating=Decimal("4.0"), min_on_time_rate=Decimal("0.50"),
                                   min_completion_rate=Decimal("0.50"), min_account_age_days=1),
    "level_two": levels.Thresholds(min_orders=4, min_rating=Decimal("4.5"), min_on_time_rate=Decimal("0.75"),
                                   min_completion_rate=Decimal("0.80"), min_account_age_days=10),
    "top_rated": levels.Thresholds(min_orders=6, min_rating=Decimal("4.8"), min_on_time_rate=Decimal("1.00"),
                                   min_completion_rate=Decimal("1.00"), min_account_age_days=30),
}


@pytest.fixture(autouse=True)
def _small_thresholds(settings):
    settings.SELLER_LEVELS = SMALL_LEVELS
    settings.RESPONSE_TIME_WINDOW_DAYS = 30


def checked(event_type: str, data: dict, event_id: str | None = None):
    validate(event_type, data)  # the payloads here are the producers' shapes
    return event(event_type, data, event_id=event_id)


def order_event(kind: str, order_id: str, seller_id: str, **fields):
    data = {"order_id": order_id, "gig_id": "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d", "package": "basic",
            "title": "A logo", "buyer_id": "5d6e7f80-91a2-4b3c-8d4e-5f6a7b8c9d0e", "seller_id": seller_id,
            "price": "40.00", "currency": "USD", **{k: iso_utc(v) if isinstance(v, datetime) else v
                                                    for k, v in fields.items()}}
    return checked(f"order.{kind}", data)


def paid(order_id, seller_id, *, at: datetime, due_in_days: float = 3):
    return order_event("paid", order_id, seller_id, paid_at=at, due_at=at + timedelta(days=due_in_days))


def delivered(order_id, seller_id, *, at: datetime):
    return order_event("delivered", order_id, seller_id, delivered_at=at, message="Here it is")


def completed(order_id, seller_id, *, at: datetime):
    return order_event("completed", order_id, seller_id, completed_at=at, by="buyer")


def cancelled(order_id, seller_id, *, at: datetime, refunded: bool, by: str = "buyer"):
    return order_event("cancelled", order_id, seller_id, cancelled_at=at, by=by, reason="No longer needed",
                       refunded=refunded)


def extended(order_id, seller_id, *, due_at: datetime, at: datetime):
    return order_event("extension_answered", order_id, seller_id, extension_id=str(uuid.uuid4()), days=2,
                       status="accepted", due_at=due_at, answered_at=at)


def on_time_order(seller_id, *, start: datetime, late: bool = False) -> list:
    order_id = str(uuid.uuid4())
    delivery = start + timedelta(days=4 if late else 1)
    return [paid(order_id, seller_id, at=start), delivered(order_id, seller_id, at=delivery),
            completed(order_id, seller_id, at=delivery + timedelta(hours=5))]


def message(conversation_id, sender_id, recipient_id, *, seq: int, at: datetime):
    return checked("message.sent", {
        "message_id": str(uuid.uuid4()), "conversation_id": conversation_id, "sender_id": sender_id,
        "sender_name": "someone", "preview": "hello", "recipients": [{"user_id": recipient_id, "online": False}],
        "gig_id": None, "order_id": None, "sent_at": iso_utc(at), "seq": seq})


def presence(user_id, *, online: bool, at: datetime, revision: int):
    return checked("presence.changed", {"user_id": user_id, "online": online, "at": iso_utc(at), "revision": revision})


def rated(seller_id, *ratings: int):
    reviews = [{"review_id": str(uuid.uuid4()), "direction": "buyer_to_seller", "author_id": str(uuid.uuid4()),
                "rating": rating, "comment": "Good", "created_at": "2026-05-20T12:00:00Z"} for rating in ratings]
    return event("review.published", {
        "order_id": str(uuid.uuid4()), "gig_id": str(uuid.uuid4()), "buyer_id": str(uuid.uuid4()),
        "seller_id": seller_id, "reason": "both_reviewed", "published_at": "2026-05-21T08:00:00Z", "reviews": reviews})


def a_seller(caller, *, joined_days_ago: float = 100):
    seller = caller()
    deliver(event("user.registered", {**registered(seller.id, seller.username).data,
                                      "date_joined": iso_utc(NOW - timedelta(days=joined_days_ago))}))
    assert seller.client.post(f"{USERS}/me/seller", SELLER_CARD, format="json").status_code == 201
    return seller


def public(username: str, client=None) -> dict:
    from rest_framework.test import APIClient

    response = (client or APIClient()).get(f"{USERS}/{username}")
    assert response.status_code == 200
    return response.json()


# --- on time and completion --------------------------------------------------------------------

def test_on_time_rate_counts_first_deliveries_by_the_due_time_and_late_cancellations(caller):
    seller = a_seller(caller)
    start = NOW - timedelta(days=20)
    deliver(*on_time_order(seller.id, start=start), *on_time_order(seller.id, start=start, late=True))
    # Delivered after the first due time, but the buyer had granted an extension: on time.
    extended_order = str(uuid.uuid4())
    deliver(paid(extended_order, seller.id, at=start),
            extended(extended_order, seller.id, due_at=start + timedelta(days=5), at=start + timedelta(days=1)),
            delivered(extended_order, seller.id, at=start + timedelta(days=4)))
    # Paid, never delivered, cancelled past its due time: late. Cancelled before the due time: not timed.
    late_cancel, early_cancel = str(uuid.uuid4()), str(uuid.uuid4())
    deliver(paid(late_cancel, seller.id, at=start), cancelled(late_cancel, seller.id, at=start + timedelta(days=6),
                                                              refunded=True, by="buyer"),
            paid(early_cancel, seller.id, at=start), cancelled(early_cancel, seller.id, at=start + timedelta(days=1),
                                                               refunded=True, by="seller"))
    # A redelivery after a revision does not make a late first delivery on time.
    revised = str(uuid.uuid4())
    deliver(paid(revised, seller.id, at=start), delivered(revised, seller.id, at=start + timedelta(days=2)),
            delivered(revised, seller.id, at=start + timedelta(days=8)))
    profile = public(seller.username)
    # on time: first, extended, revised (first delivery); late: late, late_cancel -> 3 of 5.
    assert profile["on_time_rate"] == "0.60"
    tally = SellerTally.objects.get(pk=seller.id)
    assert (tally.completed_orders, tally.settled_orders) == (2, 4)


def test_a_rate_is_shown_rounded_down_and_null_before_the_first_timed_order(caller):
    seller = a_seller(caller)
    assert public(seller.username)["on_time_rate"] is None
    start = NOW - timedelta(days=20)
    deliver(*on_time_order(seller.id, start=start), *on_time_order(seller.id, start=start),
            *on_time_order(seller.id, start=start, late=True))
    assert public(seller.username)["on_time_rate"] == "0.66"  # 2/3, not 0.67


def test_an_order_cancelled_before_payment_is_not_the_sellers_doing(caller):
    seller = a_seller(caller)
    deliver(cancelled(str(uuid.uuid4()), seller.id, at=NOW, refunded=False))
    tally = SellerTally.objects.filter(pk=seller.id).first()
    assert tally is None or (tally.settled_orders, tally.timed_orders) == (0, 0)


# --- response time ------------------------------------------------------------------------------

def test_response_time_is_the_median_first_reply_to_conversations_buyers_opened(caller):
    seller = a_seller(caller)
    opened = NOW - timedelta(days=2)
    history = []
    for wait_hours in (1, 3, 8):
        conversation, buyer = str(uuid.uuid4()), str(uuid.uuid4())
        history += [message(conversation, buyer, seller.id, seq=1, at=opened),
                    message(conversation, buyer, seller.id, seq=2, at=opened + timedelta(minutes=5)),
                    message(conversation, seller.id, buyer, seq=3, at=opened + timedelta(hours=wait_hours)),
                    message(conversation, seller.id, buyer, seq=4, at=opened + timedelta(hours=30))]
    # Unanswered: does not count. Opened by the seller (they wrote to a buyer first): the buyer's answer is not
    # the seller's reply, and the seller's later messages are no reply either.
    unanswered, seller_opened, buyer = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())
    history += [message(unanswered, buyer, seller.id, seq=1, at=opened),
                message(seller_opened, seller.id, buyer, seq=1, at=opened),
                message(seller_opened, buyer, seller.id, seq=2, at=opened + timedelta(hours=50)),
                message(seller_opened, seller.id, buyer, seq=3, at=opened + timedelta(hours=60))]
    # Opened 31 days ago: outside the window.
    old, old_buyer = str(uuid.uuid4()), str(uuid.uuid4())
    history += [message(old, old_buyer, seller.id, seq=1, at=NOW - timedelta(days=31)),
                message(old, seller.id, old_buyer, seq=2, at=NOW - timedelta(days=31) + timedelta(hours=40))]
    random.Random(7).shuffle(history)  # arrival order does not matter (seq does)
    deliver(*history)
    assert public(seller.username)["response_time_hours"] == "3.0"
    assert FirstMessage.objects.filter(sender_id=seller.id).count() == 5  # one per conversation


def test_a_seller_with_no_answered_conversation_has_no_response_time(caller):
    seller = a_seller(caller)
    deliver(message(str(uuid.uuid4()), str(uuid.uuid4()), seller.id, seq=1, at=NOW))
    assert public(seller.username)["response_time_hours"] is None


def test_a_message_from_before_messages_were_numbered_is_ignored(caller):
    seller = a_seller(caller)
    old = message(str(uuid.uuid4()), str(uuid.uuid4()), seller.id, seq=1, at=NOW)
    del old.data["seq"]
    deliver(old)
    assert not FirstMessage.objects.exists()


# --- presence -------------------------------------------------------------------------------------

def test_online_and_last_seen_follow_presence_events_rounded_to_five_minutes(caller):
    seller = a_seller(caller)
    assert (public(seller.username)["online"], public(seller.username)["last_seen_at"]) == (False, None)
    deliver(presence(seller.id, online=True, at=NOW - timedelta(hours=2), revision=1))
    shown = public(seller.username)
    assert shown["online"] is True
    seen = datetime.fromisoformat(shown["last_seen_at"].replace("Z", "+00:00"))
    assert seen.minute % 5 == 0 and seen.second == 0 and timedelta(0) <= timezone.now() - seen < timedelta(minutes=5)

    left = datetime(2026, 5, 12, 14, 34, 56, tzinfo=NOW.tzinfo)
    offline = presence(seller.id, online=False, at=left, revision=2)
    deliver(offline, presence(seller.id, online=True, at=left - timedelta(hours=1), revision=1))  # late and older
    deliver(event("presence.changed", offline.data))  # the same, told again
    shown = public(seller.username)
    assert (shown["online"], shown["last_seen_at"]) == (False, "2026-05-12T14:30:00Z")


def test_show_online_status_off_hides_presence_from_others_but_not_from_the_user(caller):
    seller = a_seller(caller)
    deliver(presence(seller.id, online=True, at=NOW, revision=1))
    response = seller.client.patch(f"{USERS}/me/preferences", {"show_online_status": False}, format="json")
    assert response.status_code == 200 and response.json()["show_online_status"] is False, response.content
    hidden = public(seller.username, client=caller().client)
    assert (hidden["online"], hidden["last_seen_at"]) == (None, None)
    assert public(seller.username)["online"] is None  # anonymous
    assert seller.client.get(f"{USERS}/me").json()["online"] is True
    assert public(seller.username, client=seller.client)["online"] is True


# --- levels ----------------------------------------------------------------------------------------

BASE = {"completed_orders": 4, "settled_orders": 5, "timed_orders": 4, "on_time_orders": 3,
        "rating_avg": Decimal("4.50"), "account_age_days": 10}


@pytest.mark.parametrize("change, level", [
    ({}, "level_two"),  # every level_two threshold met exactly
    ({"completed_orders": 3, "settled_orders": 4}, "level_one"),
    ({"rating_avg": Decimal("4.49")}, "level_one"),
    ({"on_time_orders": 2}, "level_one"),  # 2/4 = 0.50 < 0.75
    ({"settled_orders": 6}, "level_one"),  # 4/6 < 0.80
    ({"account_age_days": 9.99}, "level_one"),
    ({"completed_orders": 1, "settled_orders": 1, "timed_orders": 1, "on_time_orders": 1}, "new"),
    ({"rating_avg": Decimal("3.99")}, "new"),
    ({"account_age_days": 0.99}, "new"),
    ({"rating_avg": None}, "new"),  # no published review yet: not above a rating threshold
    ({"completed_orders": 6, "settled_orders": 6, "timed_orders": 6, "on_time_orders": 6,
      "rating_avg": Decimal("4.80"), "account_age_days": 30}, "top_rated"),
    ({"completed_orders": 6, "settled_orders": 6, "timed_orders": 6, "on_time_orders": 5,
      "rating_avg": Decimal("4.80"), "account_age_days": 30}, "level_two"),
])
def test_level_thresholds_at_their_boundaries(change, level):
    assert levels.level_of(levels.SellerRecord(**{**BASE, **change}), SMALL_LEVELS) == level


def test_a_higher_level_needs_the_lower_ones_thresholds_too():
    thresholds = {**SMALL_LEVELS, "level_two": levels.Thresholds(
        min_orders=1, min_rating=Decimal(0), min_on_time_rate=Decimal(0), min_completion_rate=Decimal(0),
        min_account_age_days=0)}
    record = levels.SellerRecord(completed_orders=1, settled_orders=1, timed_orders=1, on_time_orders=1,
                                 rating_avg=None, account_age_days=0)
    assert levels.level_of(record, thresholds) == "new"


def test_thresholds_come_from_the_environment():
    import environ

    env = environ.Env()
    thresholds = levels.level_thresholds_from_env(type("Env", (), {
        "int": lambda self, name, default: 3 if name == "MARKETPLACE_LEVEL_ONE_MIN_ORDERS" else env.int(
            "UNSET_" + name, default=default),
        "str": lambda self, name, default: "0.5" if name == "MARKETPLACE_TOP_RATED_MIN_ON_TIME_RATE" else default,
    })())
    assert thresholds["level_one"].min_orders == 3 and thresholds["level_two"].min_orders == 50
    assert thresholds["top_rated"].min_on_time_rate == Decimal("0.5")
    assert thresholds["level_one"].min_rating == Decimal("4.4")


def test_reaching_a_level_publishes_the_new_card_and_shows_on_the_profile(caller):
    seller = a_seller(caller)
    start = NOW - timedelta(days=20)
    deliver(*on_time_order(seller.id, start=start))
    assert public(seller.username)["level"] == "new"
    deliver(*on_time_order(seller.id, start=start))
    assert public(seller.username)["level"] == "new"  # no review yet: below the rating threshold
    deliver(rated(seller.id, 5, 4))
    profile = public(seller.username)
    assert profile["level"] == "level_one" and profile["on_time_rate"] == "1.00"
    cards = [card for card in published("user.profile_updated") if card["user_id"] == seller.id]
    assert cards[-1]["level"] == "level_one"
    assert cards[-1]["revision"] == Profile.objects.get(pk=seller.id).revision
    assert [card["level"] for card in cards].count("level_one") == 1  # published once, on the change

    # A cancellation after payment drops the completion rate to 2/5 < 0.50: back to new.
    for _ in range(3):
        order_id = str(uuid.uuid4())
        deliver(paid(order_id, seller.id, at=start), cancelled(order_id, seller.id, at=start + timedelta(hours=1),
                                                               refunded=True, by="seller"))
    assert public(seller.username)["level"] == "new"
    assert [card for card in published("user.profile_updated") if card["user_id"] == seller.id][-1]["level"] == "new"


def test_a_buyer_has_no_level_on_the_profile(caller):
    buyer = caller()
    deliver(registered(buyer.id, buyer.username))
    assert public(buyer.username)["level"] is None


def test_the_nightly_recompute_promotes_a_seller_whose_account_came_of_age(caller):
    seller = a_seller(caller, joined_days_ago=0.5)
    start = NOW - timedelta(hours=10)
    deliver(*on_time_order(seller.id, start=start), *on_time_order(seller.id, start=start), rated(seller.id, 5))
    assert public(seller.username)["level"] == "new"  # half a day old: under min_account_age_days
    trust_services.recompute_all(now=timezone.now() + timedelta(days=1))
    assert public(seller.username)["level"] == "level_one"
    call_command("recompute_trust_signals")  # today again: the account is too young after all
    assert public(seller.username)["level"] == "new"


# --- the nightly recompute agrees with the incremental updates ------------------------------------

def snapshot(seller_ids) -> dict:
    def tally_of(seller_id):
        tally = SellerTally.objects.filter(pk=seller_id).first() or SellerTally(seller_id=seller_id)
        return (tally.completed_orders, tally.settled_orders, tally.timed_orders, tally.on_time_orders,
                tally.response_time_hours)
    return {seller_id: (tally_of(seller_id), Profile.objects.get(pk=seller_id).level) for seller_id in seller_ids}


def test_the_recompute_from_the_facts_agrees_with_the_incremental_updates(caller):
    """The same history in a shuffled order, with duplicates (the same event again, and the same facts told under
    new event ids): what each event moved, summed, equals the recompute's sums from the facts."""
    rng = random.Random(23)
    sellers = [a_seller(caller, joined_days_ago=rng.choice([0.5, 5, 40])) for _ in range(4)]
    history = []
    for seller in sellers:
        for _ in range(rng.randint(2, 7)):
            order_id, start = str(uuid.uuid4()), NOW - timedelta(days=rng.randint(2, 20))
            history.append(paid(order_id, seller.id, at=start, due_in_days=3))
            if rng.random() < 0.3:
                history.append(extended(order_id, seller.id, due_at=start + timedelta(days=5), at=start))
            outcome = rng.random()
            if outcome < 0.7:
                first = start + timedelta(days=rng.choice([1, 4]))
                history.append(delivered(order_id, seller.id, at=first))
                if rng.random() < 0.3:
                    history.append(delivered(order_id, seller.id, at=first + timedelta(days=2)))
                history.append(completed(order_id, seller.id, at=first + timedelta(days=1)))
            elif outcome < 0.85:
                history.append(cancelled(order_id, seller.id, at=start + timedelta(days=rng.choice([1, 6])),
                                         refunded=True))
        for _ in range(rng.randint(1, 4)):
            conversation, buyer = str(uuid.uuid4()), str(uuid.uuid4())
            opened = NOW - timedelta(days=rng.randint(0, 40))
            history += [message(conversation, buyer, seller.id, seq=1, at=opened),
                        message(conversation, seller.id, buyer, seq=2, at=opened + timedelta(hours=rng.randint(1, 9))),
                        message(conversation, seller.id, buyer, seq=3, at=opened + timedelta(hours=12))]
        history.append(rated(seller.id, rng.choice([4, 5]), 5))
    history += rng.sample(history, 10)  # the same events again (the inbox drops them)
    history += [event(e.type, e.data) for e in rng.sample(history, 10)]  # the same facts under new ids
    rng.shuffle(history)
    for start in range(0, len(history), 7):  # as the worker applies them: in batches
        deliver(*history[start:start + 7])

    seller_ids = [seller.id for seller in sellers]
    incremental = snapshot(seller_ids)
    assert any(level != "new" for _tally, level in incremental.values())  # the history reaches a level
    assert OrderFact.objects.filter(seller_id__in=seller_ids).exists()
    SellerTally.objects.all().delete()  # the recompute needs nothing but the facts
    trust_services.recompute_all()
    assert snapshot(seller_ids) == incremental
