"""An unverified buyer may browse their orders but not place one (403 email_unverified)."""

import uuid

from marketplace_libs.testing import problem

from orders.models import Order

from .conftest import ORDERS, Party, place


def unverified(client_for) -> Party:
    user_id = str(uuid.uuid4())
    return Party(user_id, client_for(user_id=user_id, username=f"u{user_id[:8]}", email_verified=False))


def test_an_unverified_buyer_cannot_place_an_order_and_nothing_is_stored(client_for, gig):
    buyer = unverified(client_for)
    response = buyer.client.post(f"{ORDERS}/", {"gig_id": gig["gig_id"], "package": "basic"}, format="json")
    assert problem(response, 403)["type"].endswith(":email_unverified")
    assert not Order.objects.exists()
    # With an Idempotency-Key the refusal is not remembered: the same key works once verified.
    keyed = buyer.client.post(f"{ORDERS}/", {"gig_id": gig["gig_id"], "package": "basic"}, format="json",
                              HTTP_IDEMPOTENCY_KEY="first-try")
    problem(keyed, 403)
    verified = Party(buyer.id, client_for(user_id=buyer.id, username=f"u{buyer.id[:8]}"))
    again = verified.client.post(f"{ORDERS}/", {"gig_id": gig["gig_id"], "package": "basic"}, format="json",
                                 HTTP_IDEMPOTENCY_KEY="first-try")
    assert again.status_code == 201, again.content
    assert Order.objects.count() == 1


def test_the_guard_comes_before_the_body_is_looked_at(client_for, db):
    response = unverified(client_for).client.post(f"{ORDERS}/", {"package": "nonsense"}, format="json")
    assert problem(response, 403)["type"].endswith(":email_unverified")


def test_an_unverified_user_still_reads_their_orders(client_for, db):
    response = unverified(client_for).client.get(f"{ORDERS}/")
    assert response.status_code == 200 and response.json()["count"] == 0


def test_a_verified_buyer_places_the_order(buyer, gig):
    assert place(buyer, gig)["status"] == "pending_payment"


def test_the_setting_turned_off_lets_the_unverified_order(client_for, gig, settings):
    settings.MARKETPLACE_REQUIRE_VERIFIED_EMAIL = False
    response = unverified(client_for).client.post(f"{ORDERS}/", {"gig_id": gig["gig_id"], "package": "basic"},
                                                  format="json")
    assert response.status_code == 201, response.content
