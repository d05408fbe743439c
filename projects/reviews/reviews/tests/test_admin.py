import pytest

from marketplace_libs.testing import published
from reviews.models import Review

from .conftest import reviewed_both_ways


@pytest.fixture
def staff_client(staff_admin_client):
    return staff_admin_client


def test_staff_hide_a_review_with_a_reason_and_it_is_published(staff_client, sale):
    buyer, seller, order = sale
    created = reviewed_both_ways(buyer, seller, order, 1, "Call me on +1 555 0100")
    url = f"/admin/reviews/reviews/review/{created['id']}/change/"
    refused = staff_client.post(url, {"is_hidden": "on", "hidden_reason": ""})
    assert refused.status_code == 200 and "Say why" in refused.content.decode()
    assert staff_client.post(url, {"is_hidden": "on", "hidden_reason": "Personal contact details"}).status_code == 302
    hidden = Review.objects.get(pk=created["id"])
    assert hidden.is_hidden and hidden.hidden_reason == "Personal contact details"
    assert [event["reason"] for event in published("review.hidden")] == ["Personal contact details"]
    listing = staff_client.get("/admin/reviews/reviews/review/", {"is_hidden__exact": "1"}).content.decode()
    assert created["id"] in listing
    by_status = staff_client.get("/admin/reviews/reviews/review/", {"status__exact": "published",
                                                                   "direction__exact": "seller_to_buyer"})
    assert by_status.status_code == 200 and created["id"] not in by_status.content.decode()
    assert staff_client.get(url).status_code == 200
