"""Publishing a gig (status active) needs a confirmed email address; drafts and edits do not."""

import pytest

from marketplace_libs.testing import problem

from catalog.models import Gig

from .conftest import GIGS, create_gig, gig_body

pytestmark = pytest.mark.django_db


@pytest.fixture
def unverified_seller(caller, client_for):
    seller = caller()
    seller.client = client_for(user_id=seller.id, username=seller.username, roles=("buyer", "seller"),
                               email_verified=False)
    return seller


def test_an_unverified_seller_cannot_publish_a_new_gig(unverified_seller):
    response = unverified_seller.client.post(f"{GIGS}/", gig_body(status="active"), format="json")
    assert problem(response, 403)["type"].endswith(":email_unverified")
    assert not Gig.objects.exists()


def test_an_unverified_seller_prepares_a_draft_edits_it_but_cannot_publish_it(unverified_seller):
    draft = create_gig(unverified_seller, status="draft")
    gig_url = f"{GIGS}/{draft['id']}/"
    edited = unverified_seller.client.patch(gig_url, {"title": "I will design a bold logo for your brand"},
                                            format="json")
    assert edited.status_code == 200, edited.content
    response = unverified_seller.client.patch(gig_url, {"status": "active"}, format="json")
    assert problem(response, 403)["type"].endswith(":email_unverified")
    assert Gig.objects.get(pk=draft["id"]).status == "draft"


def test_a_gig_created_without_a_status_is_a_draft_and_allowed(unverified_seller):
    body = gig_body()
    del body["status"]
    response = unverified_seller.client.post(f"{GIGS}/", body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["status"] == "draft"


def test_a_verified_seller_publishes_and_reactivates(caller):
    seller = caller()
    gig = create_gig(seller, status="active")
    assert gig["status"] == "active"
    gig_url = f"{GIGS}/{gig['id']}/"
    assert seller.client.patch(gig_url, {"status": "paused"}, format="json").status_code == 200
    assert seller.client.patch(gig_url, {"status": "active"}, format="json").json()["status"] == "active"
