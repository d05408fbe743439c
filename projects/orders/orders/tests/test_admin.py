"""Staff's view of an order shows its money terms; cancelling there leaves the refund to the payment service."""

from marketplace_libs.testing import published
from orders.models import Order

from .conftest import paid, place


def test_the_order_admin_lists_and_shows_the_money_terms(staff_admin_client, buyer, gig):
    order = paid(buyer, gig)
    listing = staff_admin_client.get("/admin/orders/orders/order/", {"payment_status__exact": "paid"})
    assert listing.status_code == 200 and "42.20" in listing.content.decode()
    page = staff_admin_client.get(f"/admin/orders/orders/order/{order['id']}/change/").content.decode()
    for shown in ("Service fee", "2.20", "Seller earnings", "32.00", "Refunded total", "paid"):
        assert shown in page, shown
    assert "payment_id" not in page and "Payment provider" not in page


def test_staff_cancelling_a_paid_order_publishes_it_refunded(staff_admin_client, buyer, gig):
    paid_order, unpaid_order = paid(buyer, gig), place(buyer, gig)
    answer = staff_admin_client.post("/admin/orders/orders/order/", {
        "action": "cancel_and_refund", "_selected_action": [paid_order["id"], unpaid_order["id"]]})
    assert answer.status_code == 302
    assert set(Order.objects.values_list("status", flat=True)) == {"cancelled"}
    assert {event["order_id"]: event["refunded"] for event in published("order.cancelled")} == {
        paid_order["id"]: True, unpaid_order["id"]: False}
