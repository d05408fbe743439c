"""Idempotency-Key: the same key and body answer the first answer and do nothing more."""

import json
import threading
import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from marketplace_libs import testing
from marketplace_libs.idempotency import purge_expired
from marketplace_libs.idempotency.models import IdempotentRequest

URL = "/api/libstest/idempotent-register"


def writes() -> int:
    return len(testing.published("user.registered"))


def post(client, body: dict, key: str | None):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    return client.post(URL, data=json.dumps(body), content_type="application/json", **headers)


@pytest.fixture
def client(client_for):
    return client_for(user_id=str(uuid.uuid4()))


@pytest.mark.django_db
def test_the_same_key_and_body_answer_the_first_answer_and_do_nothing(client):
    key = str(uuid.uuid4())
    first = post(client, {"note": "a", "n": 1}, key)
    # The same JSON with its keys in another order is the same request.
    again = client.post(URL, data='{"n": 1,  "note": "a"}', content_type="application/json",
                        HTTP_IDEMPOTENCY_KEY=key)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and set(first.json()) == {"event_id", "amount"}
    assert again["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first
    assert writes() == 1


@pytest.mark.django_db
def test_the_same_key_with_another_body_is_a_409_and_does_nothing(client):
    key = str(uuid.uuid4())
    post(client, {"note": "a"}, key)
    other = post(client, {"note": "b"}, key)
    body = testing.problem(other, 409)
    assert body["type"].endswith(":idempotency_key_reused")
    assert writes() == 1


@pytest.mark.django_db
def test_without_a_key_every_request_does_the_work(client):
    post(client, {"note": "a"}, None)
    post(client, {"note": "a"}, None)
    assert writes() == 2
    assert not IdempotentRequest.objects.exists()


@pytest.mark.django_db
def test_keys_are_per_user_and_per_route(client, client_for):
    key = str(uuid.uuid4())
    post(client, {"note": "a"}, key)
    post(client_for(user_id=str(uuid.uuid4())), {"note": "a"}, key)
    assert writes() == 2


@pytest.mark.django_db
def test_a_refused_request_keeps_nothing_so_the_key_can_be_used_again(client):
    key = str(uuid.uuid4())
    testing.problem(post(client, {"refuse": True}, key), 409)
    assert not IdempotentRequest.objects.exists()
    assert post(client, {"refuse": False}, key).status_code == 201
    assert writes() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["", "x" * 256, "clé", "line\nbreak"])
def test_a_malformed_key_is_a_400_naming_the_header(client, key):
    body = testing.problem(post(client, {"note": "a"}, key), 400)
    assert "Idempotency-Key" in body["errors"]
    assert writes() == 0


@pytest.mark.django_db
def test_a_key_older_than_its_lifetime_starts_afresh_and_purge_removes_old_keys(client):
    key = str(uuid.uuid4())
    post(client, {"note": "a"}, key)
    IdempotentRequest.objects.update(created_at=timezone.now() - timedelta(hours=25))
    assert post(client, {"note": "b"}, key).status_code == 201
    assert writes() == 2
    IdempotentRequest.objects.update(created_at=timezone.now() - timedelta(hours=25))
    assert purge_expired() == 1


@pytest.mark.needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_two_requests_with_one_key_at_once_do_the_work_once(client):
    """The second waits on the key until the first commits, then replays its answer."""
    key = str(uuid.uuid4())
    answers = []

    def send(pause):
        try:
            answers.append(post(client, {"pause": pause}, key))
        finally:
            connection.close()

    # Both bodies must be the same request: the pause is part of it.
    threads = [threading.Thread(target=send, args=(0.5,)) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert [answer.status_code for answer in answers] == [201, 201]
    assert answers[0].json() == answers[1].json()
    assert sorted(answer.has_header("Idempotent-Replayed") for answer in answers) == [False, True]
    assert writes() == 1
