"""A step's response is the order as it now is, to the party that took it: the same as that party reading
it again (api._render does not re-read)."""

from .conftest import ORDERS, paid, place


def same_as_read_again(party, response) -> dict:
    assert response.status_code in (200, 201), response.content
    body = response.json()
    assert body == party.client.get(f"{ORDERS}/{body['id']}/").json()
    return body


def test_every_step_answers_with_the_order_as_stored(buyer, seller, gig):
    placed = same_as_read_again(buyer, buyer.client.post(f"{ORDERS}/", {"gig_id": gig["gig_id"], "package": "basic"},
                                                         format="json"))
    assert [entry["type"] for entry in placed["timeline"]] == ["placed"]
    order = paid(buyer, gig)
    url = f"{ORDERS}/{order['id']}"
    same_as_read_again(seller, seller.client.post(f"{url}/deliver", {"message": "Draft"}, format="json"))
    revised = same_as_read_again(buyer, buyer.client.post(f"{url}/request-revision", {"message": "Bluer"},
                                                          format="json"))
    assert revised["revisions_used"] == 1
    same_as_read_again(seller, seller.client.post(f"{url}/deliver", {"message": "Final"}, format="json"))
    done = same_as_read_again(buyer, buyer.client.post(f"{url}/accept", format="json"))
    assert done["status"] == "completed" and len(done["timeline"]) == 6


def test_a_cancellation_answers_with_the_refund_as_stored(buyer, seller, gig):
    order = paid(buyer, gig)
    cancelled = same_as_read_again(seller, seller.client.post(f"{ORDERS}/{order['id']}/cancel", {"reason": "Busy"},
                                                              format="json"))
    assert cancelled["status"] == "cancelled" and cancelled["payment_status"] == "paid"
    unpaid = place(buyer, gig)
    same_as_read_again(buyer, buyer.client.post(f"{ORDERS}/{unpaid['id']}/cancel", {"reason": "No"}, format="json"))
