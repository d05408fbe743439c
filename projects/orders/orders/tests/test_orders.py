import uuid

import pytest

from marketplace_libs.testing import problem, published
from orders.models import Order

from .conftest import ORDERS, deliver_event, gig_event, paid, payment_event, place


def test_the_price_comes_from_the_gig_as_the_gig_service_told_it(buyer, gig):
    order = place(buyer, gig, "premium")
    assert order["price"] == "180.00" and order["currency"] == "USD" and order["delivery_days"] == 7
    assert order["status"] == "pending_payment" and order["revisions_allowed"] == "unlimited"
    assert order["payment_status"] == "unpaid" and "payment" not in order
    assert order["due_at"] is None and order["late"] is False
    assert [entry["type"] for entry in order["timeline"]] == ["placed"]
    assert order["timeline"][0]["actor_id"] == buyer.id
    [placed] = published("order.placed")
    assert placed["order_id"] == order["id"] and placed["price"] == "180.00"


@pytest.mark.parametrize("extra, field", [({"price": "1.00"}, "price"), ({"currency": "JPY"}, "currency")])
def test_the_client_cannot_set_the_price(buyer, gig, extra, field):
    body = {"gig_id": gig["gig_id"], "package": "basic", **extra}
    assert field in problem(buyer.client.post(f"{ORDERS}/", body, format="json"), 400)["errors"]
    assert not Order.objects.exists()


def test_unknown_inactive_or_deleted_gigs_and_missing_packages_are_refused(buyer, seller, gig):
    unknown = buyer.client.post(f"{ORDERS}/", {"gig_id": str(uuid.uuid4()), "package": "basic"}, format="json")
    assert problem(unknown, 409)["type"] == "urn:marketplace:problem:gig_pending"
    assert int(unknown["Retry-After"]) >= 1
    for body, field in (({"gig_id": "not-a-uuid", "package": "basic"}, "gig_id"),
                        ({"gig_id": gig["gig_id"], "package": "standard"}, "package"),
                        ({"gig_id": gig["gig_id"], "package": "gold"}, "package"),
                        ({"gig_id": gig["gig_id"], "package": "basic", "requirements": 7}, "requirements")):
        assert field in problem(buyer.client.post(f"{ORDERS}/", body, format="json"), 400)["errors"]
    deliver_event("gig.updated", gig_event(seller.id, gig_id=gig["gig_id"], status="paused", revision=2))
    problem(buyer.client.post(f"{ORDERS}/", {"gig_id": gig["gig_id"], "package": "basic"}, format="json"), 400)
    deliver_event("gig.updated", gig_event(seller.id, gig_id=gig["gig_id"], status="active", revision=3))
    place(buyer, gig)
    deliver_event("gig.deleted", {"gig_id": gig["gig_id"], "seller_id": seller.id,
                                  "deleted_at": "2026-06-02T10:00:00Z"})
    problem(buyer.client.post(f"{ORDERS}/", {"gig_id": gig["gig_id"], "package": "basic"}, format="json"), 400)
    assert Order.objects.count() == 1  # the order placed before the deletion is unaffected


def test_an_older_gig_update_arriving_late_does_not_change_prices(buyer, seller, gig):
    newer = gig_event(seller.id, gig_id=gig["gig_id"], revision=5)
    newer["packages"][0]["price"] = "55.00"
    deliver_event("gig.updated", newer)
    deliver_event("gig.updated", gig_event(seller.id, gig_id=gig["gig_id"], revision=4))
    assert place(buyer, gig)["price"] == "55.00"


def test_a_seller_cannot_order_their_own_gig(seller, gig):
    problem(seller.client.post(f"{ORDERS}/", {"gig_id": gig["gig_id"], "package": "basic"}, format="json"), 403)


def test_the_whole_journey_with_a_revision(buyer, seller, gig):
    order = paid(buyer, gig)
    detail = buyer.client.get(f"{ORDERS}/{order['id']}/").json()
    assert detail["status"] == "in_progress" and detail["payment_status"] == "paid"
    assert detail["due_at"] is not None
    url = f"{ORDERS}/{order['id']}"
    assert seller.client.post(f"{url}/deliver", {"message": "First draft"}, format="json").json()["status"] == "delivered"
    revised = buyer.client.post(f"{url}/request-revision", {"message": "Darker blue"}, format="json").json()
    assert revised["status"] == "in_progress" and revised["revisions_used"] == 1
    seller.client.post(f"{url}/deliver", {"message": "Final"}, format="json")
    problem(buyer.client.post(f"{url}/request-revision", {"message": "Again"}, format="json"), 409)  # 1 allowed
    done = buyer.client.post(f"{url}/accept", format="json").json()
    assert done["status"] == "completed"
    assert [entry["type"] for entry in done["timeline"]] == [
        "placed", "paid", "delivered", "revision_requested", "delivered", "completed"]
    for event_type in ("order.placed", "order.paid", "order.revision_requested", "order.completed"):
        assert len(published(event_type)) == 1, event_type
    assert len(published("order.delivered")) == 2
    assert published("order.completed")[0]["by"] == "buyer"


@pytest.mark.parametrize("step, who, status, body", [
    ("deliver", "buyer", 403, {"message": "x"}),
    ("accept", "seller", 403, {}),
    ("request-revision", "seller", 403, {"message": "x"}),
    ("accept", "buyer", 409, {}),
    ("request-revision", "buyer", 409, {"message": "x"}),
    ("cancel", "buyer", 409, {"reason": "changed my mind"}),  # paid: only the seller may cancel now
])
def test_steps_refused_for_the_wrong_party_or_status_change_nothing(buyer, seller, gig, step, who,
                                                                       status, body):
    order = paid(buyer, gig)
    actor = {"buyer": buyer, "seller": seller}[who]
    problem(actor.client.post(f"{ORDERS}/{order['id']}/{step}", body, format="json"), status)
    assert Order.objects.get(pk=order["id"]).status == "in_progress"
    assert published("order.delivered") == published("order.completed") == published("order.cancelled") == []


def test_nothing_moves_before_payment(buyer, seller, gig):
    order = place(buyer, gig)
    problem(seller.client.post(f"{ORDERS}/{order['id']}/deliver", {"message": "x"}, format="json"), 409)
    problem(seller.client.post(f"{ORDERS}/{order['id']}/cancel", {"reason": "x"}, format="json"), 409)
    cancelled = buyer.client.post(f"{ORDERS}/{order['id']}/cancel", {"reason": "Found another seller"}, format="json")
    assert cancelled.json()["status"] == "cancelled" and cancelled.json()["payment_status"] == "unpaid"
    assert published("order.cancelled")[0]["refunded"] is False
    problem(buyer.client.post(f"{ORDERS}/{order['id']}/cancel", {"reason": "again"}, format="json"), 409)


def test_a_seller_cancelling_a_paid_order_leaves_the_refund_to_the_payment_service(buyer, seller, gig):
    order = paid(buyer, gig)
    cancelled = seller.client.post(f"{ORDERS}/{order['id']}/cancel", {"reason": "Too busy"}, format="json").json()
    assert cancelled["status"] == "cancelled" and cancelled["payment_status"] == "paid"
    assert cancelled["timeline"][-1]["type"] == "refund_due" and "42.20 USD" in cancelled["timeline"][-1]["message"]
    assert published("order.cancelled")[0]["refunded"] is True
    deliver_event("payment.refunded", payment_event(order, "payment.refunded"))
    refunded = buyer.client.get(f"{ORDERS}/{order['id']}/").json()
    assert refunded["payment_status"] == "refunded" and refunded["refunded_total"] == "42.20"


def test_strangers_see_nothing_and_move_nothing(party, api_client, buyer, gig):
    order = paid(buyer, gig)
    stranger = party()
    problem(stranger.client.get(f"{ORDERS}/{order['id']}/"), 404)
    for step, body in (("deliver", {"message": "x"}), ("accept", {}), ("cancel", {"reason": "x"}),
                       ("request-revision", {"message": "x"})):
        problem(stranger.client.post(f"{ORDERS}/{order['id']}/{step}", body, format="json"), 404)
    assert stranger.client.get(f"{ORDERS}/").json()["count"] == 0
    problem(api_client.get(f"{ORDERS}/{order['id']}/"), 401)


def test_lists_by_role_and_status(buyer, seller, gig):
    first = place(buyer, gig)
    paid(buyer, gig)
    assert buyer.client.get(f"{ORDERS}/", {"role": "buyer"}).json()["count"] == 2
    assert buyer.client.get(f"{ORDERS}/", {"role": "seller"}).json()["count"] == 0
    assert seller.client.get(f"{ORDERS}/", {"role": "seller", "status": "pending_payment"}).json()["results"][0][
        "id"] == first["id"]
    problem(buyer.client.get(f"{ORDERS}/", {"role": "admin"}), 400)
    problem(buyer.client.get(f"{ORDERS}/", {"status": "lost"}), 400)


def test_a_placed_order_is_answered_as_it_reads_back_without_reading_its_details(buyer, gig):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as statements:
        placed = place(buyer, gig)
    read = [statement["sql"] for statement in statements if statement["sql"].startswith("SELECT")]
    # The listing with its package is all a placement reads: a new order has one timeline entry and no
    # files, extension request or dispute, which the answer says without asking the database.
    assert len(read) == 1 and "orders_listedpackage" in read[0], read
    again = buyer.client.get(f"{ORDERS}/{placed['id']}/")
    assert again.status_code == 200
    assert again.json() == placed
    assert [entry["type"] for entry in placed["timeline"]] == ["placed"]
    assert placed["files"] == [] and placed["extension"] is None and placed["dispute"] is None
