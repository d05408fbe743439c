"""Trust signals through the gateway on the real servers: a seller's level, on-time rate and response time
computed by the user service from order, review and chat events, the gig cards' level, and presence
from chat's debounced presence.changed (docs/trust-signals.md).

The e2e platform's thresholds (devtools/environment.py, E2E_OVERRIDES): level_one at 2 completed orders, no
rating needed, 90 % on time and completed, an account of any age; level_two keeps its default 50 orders.
The presence grace period and sweep are 1 s."""

from __future__ import annotations

import time
import uuid
from datetime import datetime

from websockets.sync.client import connect

from .support import become_seller, completed_order, publish_gig, wait_for
from .test_chat import open_conversation, ws_url

USERS, CHAT = "/api/users", "/api/chat"


def profile_of(gateway, username: str, viewer=None) -> dict:
    response = gateway.get(f"{USERS}/{username}", headers=viewer.auth() if viewer else {})
    assert response.status_code == 200, response.text
    return response.json()


def presence_events(platform, user) -> list[bool]:
    """What chat announced of ``user``'s presence, in order (its outbox keeps published events a while)."""
    with platform.database("chat") as db:
        rows = db.execute("SELECT data FROM events_outboxevent WHERE event_type = 'presence.changed' "
                          "AND aggregate_id = %s ORDER BY id", [user.id]).fetchall()
    return [row[0]["online"] for row in rows]


def test_completed_on_time_orders_and_quick_replies_give_the_documented_level(platform, gateway):
    seller = become_seller(platform, gateway, platform.log_in(gateway, platform.register(gateway)))
    buyer = platform.log_in(gateway, platform.register(gateway))
    gig = publish_gig(gateway, seller, f"I will proofread your thesis {uuid.uuid4().hex[:6]}")
    assert profile_of(gateway, seller.username)["level"] == "new"

    conversation = open_conversation(gateway, buyer, seller)
    for sender, body in ((buyer, "Could you proofread 40 pages by Friday?"), (seller, "Yes, gladly."),
                         (buyer, "Great, ordering now.")):
        sent = gateway.post(f"{CHAT}/conversations/{conversation['id']}/messages/", headers=sender.auth(),
                            json={"body": body})
        assert sent.status_code == 201, sent.text
    for _ in range(2):
        completed_order(platform, gateway, buyer, seller, gig)  # delivered at once: on time

    def promoted():
        profile = profile_of(gateway, seller.username)
        return profile if profile["level"] == "level_one" else None

    profile = wait_for(promoted, interval=0.3, what="the orders' and messages' events to reach the user service")
    assert profile["stats"]["orders_completed"] == 2
    assert profile["on_time_rate"] == "1.00"
    # One conversation a buyer opened, answered within seconds: the median is 0.0 hours.
    wait_for(lambda: profile_of(gateway, seller.username)["response_time_hours"] == "0.0", what="the response time")
    # The buyer's side: they opened the conversation, so they answered nobody and have no level.
    assert profile_of(gateway, buyer.username)["level"] is None

    def card_level():
        shown = gateway.get(f"/api/gigs/{gig['id']}/").json()["seller"]
        return shown["level"] == "level_one"

    wait_for(card_level, interval=0.3, what="user.profile_updated with the level to reach the gig service")


def test_online_while_a_socket_is_open_offline_after_it_closes_and_hidden_on_request(platform, gateway):
    user = platform.log_in(gateway, platform.register(gateway))
    viewer = platform.log_in(gateway, platform.register(gateway))
    before = profile_of(gateway, user.username, viewer)
    assert (before["online"], before["last_seen_at"]) == (False, None)

    with connect(ws_url(platform.base_url, user.access)):
        wait_for(lambda: profile_of(gateway, user.username, viewer)["online"] is True, interval=0.2,
                 what="presence.changed (online) to reach the user service")
    # A page reload: the socket closes and the page's new one opens within the 1 s grace period.
    with connect(ws_url(platform.base_url, user.access)) as reloaded:
        time.sleep(2.5)  # past the grace period and a sweep: still the one announcement
        assert presence_events(platform, user) == [True]
        assert profile_of(gateway, user.username, viewer)["online"] is True
        reloaded.close()

    assert wait_for(lambda: presence_events(platform, user) == [True, False], interval=0.2,
                    what="the presence sweep to announce the user offline")
    offline = wait_for(lambda: (lambda shown: shown if shown["online"] is False else None)(
        profile_of(gateway, user.username, viewer)), interval=0.2,
        what="the presence sweep's presence.changed (offline) to reach the user service")
    seen = datetime.fromisoformat(offline["last_seen_at"].replace("Z", "+00:00"))
    assert seen.minute % 5 == 0 and seen.second == 0 and seen.microsecond == 0

    hidden = gateway.patch(f"{USERS}/me/preferences", headers=user.auth(), json={"show_online_status": False})
    assert hidden.status_code == 200 and hidden.json()["show_online_status"] is False
    shown_to_others = profile_of(gateway, user.username, viewer)
    assert (shown_to_others["online"], shown_to_others["last_seen_at"]) == (None, None)
    assert profile_of(gateway, user.username)["online"] is None  # nor to anyone signed out
    assert profile_of(gateway, user.username, user)["last_seen_at"] == offline["last_seen_at"]  # the user sees it
