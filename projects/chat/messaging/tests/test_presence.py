"""Presence as other services hear of it: presence.changed on the first socket and, after the grace
period, on the last close; nothing for a page reload; a crashed process's sockets go offline too."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from marketplace_libs.testing import published
from messaging import presence, services

pytestmark = pytest.mark.django_db(transaction=True)


def presence_events(user_id: str) -> list[dict]:
    return [data for data in published("presence.changed") if data["user_id"] == user_id]


def opened(sockets, token: str):
    """A socket, once its opening is done: the server accepts it before it records the presence."""
    socket = sockets(token)
    assert socket.nothing_more(timeout=0.5)
    return socket


def test_the_first_socket_announces_online_and_a_second_tab_announces_nothing(sockets, person):
    a = person()
    opened(sockets, a.token)
    opened(sockets, a.token)
    [online] = presence_events(a.id)
    assert online["online"] is True and online["revision"] == 1
    assert abs(parse_datetime(online["at"]) - timezone.now()) < timedelta(seconds=5)


def test_a_page_reload_within_the_grace_period_is_no_event_at_all(sockets, person, settings):
    settings.CHAT_PRESENCE_GRACE_SECONDS = 30
    a = person()
    opened(sockets, a.token).close()
    opened(sockets, a.token)  # the reloaded page's socket
    assert services.settle_presence(now=timezone.now() + timedelta(seconds=29)) == 0
    assert [event["online"] for event in presence_events(a.id)] == [True]
    # Still connected: however long the sweep waits, the user stays online.
    assert services.settle_presence(now=timezone.now() + timedelta(hours=1)) == 0
    assert len(presence_events(a.id)) == 1


def test_the_last_close_is_one_offline_event_once_the_grace_period_is_over(sockets, person, settings):
    settings.CHAT_PRESENCE_GRACE_SECONDS = 30
    a = person()
    tab1, tab2 = opened(sockets, a.token), opened(sockets, a.token)
    tab1.close()
    assert services.settle_presence(now=timezone.now() + timedelta(minutes=5)) == 0  # tab2 is open
    tab2.close()
    closed_at = timezone.now()
    assert services.settle_presence(now=closed_at + timedelta(seconds=20)) == 0  # within the grace period
    assert services.settle_presence(now=closed_at + timedelta(seconds=31)) == 1
    assert services.settle_presence(now=closed_at + timedelta(seconds=90)) == 0  # said once
    online, offline = presence_events(a.id)
    assert (offline["online"], offline["revision"]) == (False, 2)
    # As of when the user was last seen (the close), not when the sweep noticed.
    assert abs(parse_datetime(offline["at"]) - closed_at) < timedelta(seconds=2)

    opened(sockets, a.token)  # back later: online again
    assert [event["online"] for event in presence_events(a.id)] == [True, False, True]


def test_a_crashed_processs_sockets_expire_and_the_sweep_announces_the_user_offline(person, settings):
    """A process that dies closes nothing: its socket stays in Redis until its score runs out."""
    settings.CHAT_PRESENCE_TTL_SECONDS = 1
    settings.CHAT_PRESENCE_GRACE_SECONDS = 0
    a = person()
    presence.mark_online(a.id, "socket-of-a-process-that-will-crash")
    services.socket_opened(user_id=a.id)
    assert services.settle_presence() == 0  # its heartbeat is still fresh
    time.sleep(1.2)  # no heartbeat renews it
    assert services.settle_presence() == 1
    assert [event["online"] for event in presence_events(a.id)] == [True, False]


def test_the_heartbeat_keeps_every_open_socket_present_beyond_its_ttl(sockets, person, settings):
    settings.CHAT_PRESENCE_TTL_SECONDS = 1
    settings.CHAT_PRESENCE_HEARTBEAT_SECONDS = 0.2
    a, b = person(), person()
    a_socket = opened(sockets, a.token)
    opened(sockets, b.token)
    opened_seen = presence.last_seen(a.id)
    assert a_socket.nothing_more(timeout=1.5)  # longer than the TTL: only the renewals keep them present
    assert presence.online([a.id, b.id]) == {a.id: True, b.id: True}
    assert presence.last_seen(a.id) > opened_seen


def test_two_sockets_opening_at_once_announce_online_once(person):
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection

    a = person()

    def open_one(name):
        try:
            presence.mark_online(a.id, name)
            return services.socket_opened(user_id=a.id)
        finally:
            connection.close()

    with ThreadPoolExecutor(4) as pool:
        announced = list(pool.map(open_one, [f"socket-{n}" for n in range(4)]))
    assert announced.count(True) == 1
    assert len(presence_events(a.id)) == 1


def test_a_message_carries_its_number_in_the_conversation(person):
    from .conftest import CHAT, conversation_between

    a, b = person(), person()
    conversation = conversation_between(a, b)
    for body in ("first", "second"):
        a.client.post(f"{CHAT}/conversations/{conversation['id']}/messages/", {"body": body}, format="json")
    b.client.post(f"{CHAT}/conversations/{conversation['id']}/messages/", {"body": "reply"}, format="json")
    assert [(m["sender_id"], m["seq"]) for m in published("message.sent")] == [(a.id, 1), (a.id, 2), (b.id, 3)]
