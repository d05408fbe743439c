import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from marketplace_libs.testing import problem, published
from catalog.models import Gig

from .conftest import GIGS, create_gig, gig_body, image_bytes, package


def test_categories_are_a_tree_of_at_least_eight_top_level_categories(api_client, db):
    categories = api_client.get(f"{GIGS}/categories/").json()
    top = [category for category in categories if category["parent"] is None]
    assert len(top) >= 8
    assert {"slug": "logo-design", "name": "Logo Design", "parent": "graphics-and-design"} in categories
    assert all(any(child["parent"] == parent["slug"] for child in categories) for parent in top)


def test_a_seller_creates_a_gig_and_the_order_service_hears_of_it(caller):
    seller = caller()
    gig = create_gig(seller)
    assert gig["status"] == "active" and gig["category"] == "logo-design"
    assert gig["seller"] == {"id": seller.id, "username": seller.username, "display_name": "", "level": "new"}
    assert [p["tier"] for p in gig["packages"]] == ["basic", "premium"]
    assert gig["packages"][1]["revisions"] == "unlimited" and gig["packages"][0]["price"] == "40.00"
    assert gig["price_from"] == "40.00" and gig["tags"] == ["branding", "logo"]
    [created] = published("gig.created")
    assert created["gig_id"] == gig["id"] and created["packages"][0]["price"] == "40.00"


def test_a_buyer_cannot_create_a_gig(caller):
    buyer = caller(roles=("buyer",))
    problem(buyer.client.post(f"{GIGS}/", gig_body(), format="json"), 403)
    assert not Gig.objects.exists()


def test_without_a_token_nobody_creates_a_gig(api_client, db):
    problem(api_client.post(f"{GIGS}/", gig_body(), format="json"), 401)


@pytest.mark.parametrize("overrides, field", [
    ({"title": "Too short"}, "title"),
    ({"title": "x" * 101}, "title"),
    ({"description": "Short."}, "description"),
    ({"category": "no-such-category"}, "category"),
    ({"tags": ["a", "b", "c", "d", "e", "f"]}, "tags"),
    ({"tags": ["<script>"]}, "tags"),
    ({"status": "sold-out"}, "status"),
    ({"packages": []}, "packages"),
    ({"packages": [package("basic"), package("standard"), package("premium"), package("basic")]}, "packages"),
    ({"packages": [package("basic"), package("basic", price="60.00")]}, "packages"),
    ({"packages": [package("basic"), package("premium", currency="EUR")]}, "packages"),
    ({"packages": [package("gold")]}, "packages"),
    ({"packages": [package(price="0.00")]}, "packages"),
    ({"packages": [package(price="-5.00")]}, "packages"),
    ({"packages": [package(price="1000000.00")]}, "packages"),
    ({"packages": [package(price="12.345")]}, "packages"),
    ({"packages": [package(currency="XYZ")]}, "packages"),
    ({"packages": [package(days=0)]}, "packages"),
    ({"packages": [package(days=91)]}, "packages"),
    ({"packages": [package(revisions=11)]}, "packages"),
    ({"packages": [package(revisions="lots")]}, "packages"),
    ({"packages": [package(discount="10%")]}, "packages"),
    ({"rating_avg": "5.00"}, "rating_avg"),
])
def test_bad_input_is_a_400_naming_the_field_and_creates_nothing(caller, overrides, field):
    seller = caller()
    body = problem(seller.client.post(f"{GIGS}/", gig_body(**overrides), format="json"), 400)
    assert any(key == field or key.startswith(f"{field}.") for key in body["errors"]), body["errors"]
    assert not Gig.objects.exists() and published("gig.created") == []


def test_drafts_are_seen_by_their_seller_only(caller, api_client):
    seller, other = caller(), caller()
    draft = create_gig(seller, status="draft")
    assert seller.client.get(f"{GIGS}/{draft['id']}/").status_code == 200
    problem(other.client.get(f"{GIGS}/{draft['id']}/"), 404)
    problem(api_client.get(f"{GIGS}/{draft['id']}/"), 404)
    assert api_client.get(f"{GIGS}/").json()["count"] == 0


def test_only_the_owner_edits_pauses_or_deletes(caller, api_client):
    seller, other = caller(), caller()
    gig = create_gig(seller)
    problem(other.client.patch(f"{GIGS}/{gig['id']}/", {"title": "A title that is long enough"}, format="json"), 403)
    problem(other.client.delete(f"{GIGS}/{gig['id']}/"), 403)
    draft = create_gig(seller, status="draft")
    problem(other.client.patch(f"{GIGS}/{draft['id']}/", {"status": "active"}, format="json"), 404)
    problem(api_client.patch(f"{GIGS}/{gig['id']}/", {"status": "paused"}, format="json"), 401)

    paused = seller.client.patch(f"{GIGS}/{gig['id']}/", {"status": "paused"}, format="json")
    assert paused.status_code == 200 and paused.json()["status"] == "paused"
    assert published("gig.updated")[-1]["status"] == "paused"
    assert api_client.get(f"{GIGS}/").json()["count"] == 0  # not for sale: not listed
    assert api_client.get(f"{GIGS}/{gig['id']}/").status_code == 200  # but its page still answers


def test_editing_packages_replaces_them_and_republishes_prices(caller):
    seller = caller()
    gig = create_gig(seller)
    edited = seller.client.patch(f"{GIGS}/{gig['id']}/", {"packages": [package("standard", "75.50", 5, 3)]},
                                 format="json")
    assert edited.status_code == 200, edited.content
    assert [p["tier"] for p in edited.json()["packages"]] == ["standard"]
    assert edited.json()["price_from"] == "75.50"
    update = published("gig.updated")[-1]
    assert update["packages"][0]["price"] == "75.50" and update["revision"] == 2


def test_a_bad_edit_changes_nothing(caller):
    seller = caller()
    gig = create_gig(seller)
    problem(seller.client.patch(f"{GIGS}/{gig['id']}/", {"packages": [package(days=365)]}, format="json"), 400)
    problem(seller.client.patch(f"{GIGS}/{gig['id']}/", {"status": "deleted"}, format="json"), 400)
    problem(seller.client.patch(f"{GIGS}/{gig['id']}/", {"seller": str(uuid.uuid4())}, format="json"), 400)
    assert seller.client.get(f"{GIGS}/{gig['id']}/").json() == gig
    assert published("gig.updated") == []


def test_delete_is_soft_and_published(caller, api_client):
    seller = caller()
    gig = create_gig(seller)
    assert seller.client.delete(f"{GIGS}/{gig['id']}/").status_code == 204
    problem(api_client.get(f"{GIGS}/{gig['id']}/"), 404)
    problem(seller.client.delete(f"{GIGS}/{gig['id']}/"), 404)
    assert Gig.objects.filter(pk=gig["id"], deleted_at__isnull=False).exists()
    [deleted] = published("gig.deleted")
    assert deleted["gig_id"] == gig["id"]


def test_an_unknown_gig_is_a_404_and_a_malformed_id_too(api_client, db):
    problem(api_client.get(f"{GIGS}/{uuid.uuid4()}/"), 404)
    problem(api_client.get(f"{GIGS}/not-a-uuid/"), 404)


def test_images_up_to_five_validated_by_content(caller, django_capture_on_commit_callbacks):
    seller, other = caller(), caller()
    gig = create_gig(seller)
    url = f"{GIGS}/{gig['id']}/images/"
    ids = []
    for index in range(5):
        response = seller.client.post(url, {"image": SimpleUploadedFile(f"{index}.png", image_bytes(), "image/png")},
                                      format="multipart")
        assert response.status_code == 201, response.content
        ids.append(response.json()["id"])
    sixth = seller.client.post(url, {"image": SimpleUploadedFile("6.png", image_bytes(), "image/png")},
                               format="multipart")
    problem(sixth, 409)
    problem(seller.client.post(url, {"image": SimpleUploadedFile("x.png", b"not an image", "image/png")},
                               format="multipart"), 400)
    problem(other.client.post(url, {"image": SimpleUploadedFile("o.png", image_bytes(), "image/png")},
                              format="multipart"), 403)
    assert len(seller.client.get(f"{GIGS}/{gig['id']}/").json()["images"]) == 5
    with django_capture_on_commit_callbacks(execute=True):
        assert seller.client.delete(f"{url}{ids[0]}/").status_code == 204
    problem(seller.client.delete(f"{url}{ids[0]}/"), 404)
    assert len(seller.client.get(f"{GIGS}/{gig['id']}/").json()["images"]) == 4


def test_staff_pause_is_published_and_the_seller_cannot_undo_it(caller):
    from catalog import services

    seller = caller()
    gig = create_gig(seller)
    assert services.pause_by_staff(gig=Gig.objects.get(pk=gig["id"]))
    assert published("gig.updated")[-1]["status"] == "paused"
    problem(seller.client.patch(f"{GIGS}/{gig['id']}/", {"status": "active"}, format="json"), 409)
