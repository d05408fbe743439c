"""Idempotency-Key on POST /api/orders/: a retried placement orders once."""

import uuid

from marketplace_libs.testing import problem, published
from orders.models import Order

from .conftest import ORDERS


def place_with_key(party, key: str, body: dict):
    return party.client.post(f"{ORDERS}/", body, format="json", HTTP_IDEMPOTENCY_KEY=key)


def test_the_same_key_and_body_answer_the_first_answer_and_order_once(buyer, gig):
    key, body = str(uuid.uuid4()), {"gig_id": gig["gig_id"], "package": "basic", "requirements": "Blue."}
    first = place_with_key(buyer, key, body)
    again = place_with_key(buyer, key, dict(reversed(body.items())))  # the same JSON in another key order
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert Order.objects.count() == 1 and len(published("order.placed")) == 1


def test_the_same_key_with_another_body_is_a_409_and_orders_nothing(buyer, gig):
    key = str(uuid.uuid4())
    place_with_key(buyer, key, {"gig_id": gig["gig_id"], "package": "basic"})
    reused = place_with_key(buyer, key, {"gig_id": gig["gig_id"], "package": "premium"})
    assert problem(reused, 409)["type"].endswith("idempotency_key_reused")
    assert Order.objects.count() == 1


def test_keys_are_per_buyer_and_a_refused_request_is_not_remembered(party, buyer, gig):
    key, body = str(uuid.uuid4()), {"gig_id": gig["gig_id"], "package": "basic"}
    problem(place_with_key(buyer, key, {**body, "package": "standard"}), 400)  # no such package: nothing kept
    assert place_with_key(buyer, key, body).status_code == 201
    other = party()
    assert place_with_key(other, key, body).status_code == 201  # another buyer's key, another order
    assert Order.objects.count() == 2


def test_no_key_orders_each_time(buyer, gig):
    body = {"gig_id": gig["gig_id"], "package": "basic"}
    assert buyer.client.post(f"{ORDERS}/", body, format="json").status_code == 201
    assert buyer.client.post(f"{ORDERS}/", body, format="json").status_code == 201
    assert Order.objects.count() == 2


def test_the_purge_of_expired_keys_is_scheduled_for_the_beat():
    from config.celery import app

    entry = app.conf.beat_schedule["purge-expired-idempotency-keys"]
    assert entry["task"] in app.tasks
