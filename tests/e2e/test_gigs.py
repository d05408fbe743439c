"""The gig service through the gateway, on the real servers: a seller publishes, buyers search,
owners edit, events from other services feed the read models."""

from __future__ import annotations

import io
import uuid

import pytest
from PIL import Image

from .support import RATINGS, assert_problem, become_seller, publish_event, wait_for

GIGS = "/api/gigs"


def package(tier="basic", price="40.00", days=3, revisions=2) -> dict:
    return {"tier": tier, "title": f"{tier.title()} offer", "description": "What you get.", "price": price,
            "currency": "USD", "delivery_days": days, "revisions": revisions}


def gig_body(title: str, **overrides) -> dict:
    return {"title": title, "description": f"{title}. Clear communication and source files with every order.",
            "category": "logo-design", "tags": ["logo"], "status": "active",
            "packages": [package()], **overrides}


@pytest.fixture(scope="module")
def seller(platform):
    """A user who became a seller through the user service, with a token carrying the role."""
    import httpx

    with httpx.Client(base_url=platform.base_url, timeout=10) as client:
        return become_seller(platform, client, platform.log_in(client, platform.register(client)))


def test_categories_need_no_token(gateway):
    categories = gateway.get(f"{GIGS}/categories/").json()
    assert len([c for c in categories if c["parent"] is None]) >= 8


def test_a_buyer_token_cannot_create_a_gig(gateway, session):
    assert_problem(gateway.post(f"{GIGS}/", headers=session.auth(), json=gig_body("I will sketch your portrait fast")),
                   403)


def test_a_seller_publishes_and_anyone_finds_it_with_a_typo(gateway, seller):
    title = f"I will design a geometric logo {uuid.uuid4().hex[:6]}"
    created = gateway.post(f"{GIGS}/", headers=seller.auth(), json=gig_body(title))
    assert created.status_code == 201, created.text
    gig = created.json()
    assert gig["seller"]["username"] == seller.username
    assert gig_id_in(gateway.get(f"{GIGS}/", params={"q": "geometric logo"}), gig["id"])
    assert gig_id_in(gateway.get(f"{GIGS}/", params={"q": "geometirc logo"}), gig["id"])  # one letter swapped
    assert gig_id_in(gateway.get(f"{GIGS}/", params={"category": "graphics-and-design", "max_price": "50"}),
                     gig["id"])
    assert gateway.get(f"{GIGS}/{gig['id']}/").json()["title"] == title
    body = gateway.get(f"{GIGS}/", params={"q": "geometric"}).json()
    assert "facets" in body and body["facets"]["price_bands"]


def gig_id_in(response, gig_id: str) -> bool:
    assert response.status_code == 200, response.text
    return gig_id in [gig["id"] for gig in response.json()["results"]]


def test_bad_filters_are_a_400_through_the_gateway(gateway):
    assert_problem(gateway.get(f"{GIGS}/", params={"min_price": "abc"}), 400, field="min_price")
    assert_problem(gateway.get(f"{GIGS}/", params={"ordering": "cheapest"}), 400, field="ordering")


def test_drafts_are_invisible_to_others_and_only_the_owner_edits(platform, gateway, seller, session):
    draft = gateway.post(f"{GIGS}/", headers=seller.auth(),
                         json=gig_body("I will animate your logo in 3D", status="draft")).json()
    assert_problem(gateway.get(f"{GIGS}/{draft['id']}/"), 404)
    assert_problem(gateway.get(f"{GIGS}/{draft['id']}/", headers=session.auth()), 404)
    assert gateway.get(f"{GIGS}/{draft['id']}/", headers=seller.auth()).status_code == 200

    live = gateway.post(f"{GIGS}/", headers=seller.auth(), json=gig_body("I will vectorise your logo today")).json()
    assert_problem(gateway.patch(f"{GIGS}/{live['id']}/", headers=session.auth(), json={"status": "paused"}), 403)
    assert_problem(gateway.delete(f"{GIGS}/{live['id']}/", headers=session.auth()), 403)
    assert_problem(gateway.patch(f"{GIGS}/{live['id']}/", headers=seller.auth(),
                                 json={"packages": [package(days=120)]}), 400)
    edited = gateway.patch(f"{GIGS}/{live['id']}/", headers=seller.auth(), json={"packages": [package(price="55.00")]})
    assert edited.status_code == 200 and edited.json()["price_from"] == "55.00"
    assert gateway.delete(f"{GIGS}/{live['id']}/", headers=seller.auth()).status_code == 204
    assert_problem(gateway.get(f"{GIGS}/{live['id']}/"), 404)

    with platform.database("gigs") as db:
        kinds = [row[0] for row in db.execute(
            "SELECT event_type FROM events_outboxevent WHERE aggregate_id = %s ORDER BY id", [live["id"]])]
    assert kinds == ["gig.created", "gig.updated", "gig.deleted"]


def test_gig_images_are_uploaded_and_served_through_the_gateway(gateway, seller):
    gig = gateway.post(f"{GIGS}/", headers=seller.auth(), json=gig_body("I will retouch your product photos")).json()
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), (30, 60, 90)).save(buffer, "JPEG")
    uploaded = gateway.post(f"{GIGS}/{gig['id']}/images/", headers=seller.auth(),
                            files={"image": ("shot.jpg", buffer.getvalue(), "image/jpeg")})
    assert uploaded.status_code == 201, uploaded.text
    served = gateway.get(uploaded.json()["url"])
    assert served.status_code == 200 and served.headers["content-type"] == "image/jpeg"
    assert_problem(gateway.post(f"{GIGS}/{gig['id']}/images/", headers=seller.auth(),
                                files={"image": ("x.jpg", b"MZ\x90\x00 not an image", "image/jpeg")}), 400,
                   field="image")


def test_seller_cards_and_stats_follow_the_other_services_events(platform, gateway, seller):
    gig = gateway.post(f"{GIGS}/", headers=seller.auth(), json=gig_body("I will design a badge logo for clubs")).json()
    renamed = gateway.patch("/api/users/me", headers=seller.auth(), json={"display_name": "Studio North"})
    assert renamed.status_code == 200
    wait_for(lambda: gateway.get(f"{GIGS}/{gig['id']}/").json()["seller"]["display_name"] == "Studio North",
             what="user.profile_updated to reach the gig service")

    review = {"review_id": str(uuid.uuid4()), "order_id": str(uuid.uuid4()), "gig_id": gig["id"],
              "buyer_id": str(uuid.uuid4()), "seller_id": seller.id, "rating": 4, "comment": "Good",
              "created_at": "2026-05-20T12:00:00Z", **RATINGS}
    first = publish_event(platform, "review.created", review)
    publish_event(platform, "review.created", review, event_id=first)  # redelivered
    publish_event(platform, "review.created", review)  # told again under another id
    publish_event(platform, "review.created", {**review, "review_id": str(uuid.uuid4()), "rating": 5})
    wait_for(lambda: gateway.get(f"{GIGS}/{gig['id']}/").json()["rating_count"] == 2, what="the reviews")
    detail = gateway.get(f"{GIGS}/{gig['id']}/").json()
    assert detail["rating_avg"] == "4.50" and detail["rating_count"] == 2
