import time

import redis
from django.core.cache import caches

from marketplace_libs.testing import problem
from messaging import send_counter
from messaging.models import Message

from .conftest import CHAT, conversation_between


def _stored_count(settings, user_id) -> int:
    key = send_counter._KEY.format(user_id, int(time.time()) // settings.CHAT_SEND_WINDOW_SECONDS)
    if not settings.MARKETPLACE_REDIS_URL:
        return caches["shared"].get(key)
    from django_redis import get_redis_connection

    client = get_redis_connection("shared")
    assert 0 < client.ttl(key) <= 2 * settings.CHAT_SEND_WINDOW_SECONDS
    return int(client.get(key))


def test_sends_are_counted_per_user_in_a_window_that_expires(settings, send_limit):
    send_limit(100)
    assert [send_counter.count_send("ann") for _ in range(3)] == [1, 2, 3]
    assert send_counter.count_send("bob") == 1
    assert _stored_count(settings, "ann") == 3


def test_with_the_counter_unreachable_a_send_is_a_503_and_stores_nothing(person, settings, monkeypatch):
    a, b = person(), person()
    url = f"{CHAT}/conversations/{conversation_between(a, b)['id']}/messages/"
    settings.MARKETPLACE_REDIS_URL = "redis://127.0.0.1:1/0"
    nobody_listens = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=1)
    monkeypatch.setattr("django_redis.get_redis_connection", lambda alias: nobody_listens)
    a.client.raise_request_exception = False
    response = a.client.post(url, {"body": "hello"}, format="json")
    problem(response, 503)
    assert response["Retry-After"]
    assert Message.objects.count() == 0
