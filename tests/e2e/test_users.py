"""The user service through the gateway, on the real servers: profiles, seller onboarding reaching the
token, preferences, avatars, public profiles, stats from events, deactivation by staff in the auth admin reaching the user service."""

from __future__ import annotations

import io
import uuid

from PIL import Image

from .support import RATINGS, admin_action, assert_problem, publish_event, staff_admin, token_claims, wait_for

USERS = "/api/users"


def png(size=(256, 256)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (250, 180, 10)).save(buffer, "PNG")
    return buffer.getvalue()


def refreshed(gateway, session) -> dict:
    response = gateway.post("/api/auth/refresh", json={"refresh": session.refresh})
    assert response.status_code == 200, response.text
    session.access, session.refresh = response.json()["access"], response.json()["refresh"]
    return token_claims(session.access)


def test_a_new_user_has_a_profile_at_once_and_the_registration_event_completes_it(platform, gateway, session):
    response = gateway.get(f"{USERS}/me", headers=session.auth())
    assert response.status_code == 200, response.text
    assert response.json()["id"] == session.id and response.json()["username"] == session.username

    def email_recorded():
        with platform.database("users") as db:
            row = db.execute("SELECT email FROM profiles_profile WHERE user_id = %s", [session.id]).fetchone()
        return row and row[0] == session.email

    wait_for(email_recorded, what="user.registered to reach the user service")
    with platform.database("users") as db:
        assert db.execute("SELECT count(*) FROM profiles_profile WHERE user_id = %s", [session.id]).fetchone()[0] == 1


def test_the_owner_edits_the_profile_and_bad_input_is_a_400_naming_the_field(gateway, session):
    edited = gateway.patch(f"{USERS}/me", headers=session.auth(), json={
        "display_name": "Marie", "bio": "Translator.", "country": "FR", "languages": ["fr", "en"],
        "skills": ["Translation", "Proofreading"]})
    assert edited.status_code == 200, edited.text
    assert edited.json()["languages"] == ["fr", "en"]
    for body, field in (({"country": "France"}, "country"), ({"languages": ["french"]}, "languages"),
                        ({"skills": ["x"] * 31}, "skills"), ({"display_name": "y" * 51}, "display_name"),
                        ({"is_seller": True}, "is_seller")):
        assert_problem(gateway.patch(f"{USERS}/me", headers=session.auth(), json=body), 400, field=field)
    assert gateway.get(f"{USERS}/me", headers=session.auth()).json()["country"] == "FR"


def test_nobody_edits_someone_elses_profile(platform, gateway, session):
    other = platform.log_in(gateway, platform.register(gateway))
    gateway.patch(f"{USERS}/me", headers=session.auth(), json={"display_name": "The owner"})
    assert_problem(gateway.patch(f"{USERS}/{session.username}", headers=other.auth(),
                                 json={"display_name": "Hijacked"}), 405)
    assert gateway.get(f"{USERS}/{session.username}").json()["display_name"] == "The owner"


def test_the_public_profile_needs_no_token_and_shows_no_email_or_preferences(gateway, session):
    gateway.get(f"{USERS}/me", headers=session.auth())
    response = gateway.get(f"{USERS}/{session.username}")
    assert response.status_code == 200, response.text
    assert "preferences" not in response.json() and session.email not in response.text
    assert_problem(gateway.get(f"{USERS}/no_such_user_{uuid.uuid4().hex[:6]}"), 404)
    assert_problem(gateway.get(f"{USERS}/me"), 401)


def test_becoming_a_seller_puts_the_role_in_the_next_refreshed_token(gateway, session):
    assert "seller" not in token_claims(session.access)["roles"]
    opened = gateway.post(f"{USERS}/me/seller", headers=session.auth(),
                          json={"headline": "Illustrator", "description": "Children's books and posters since 2015."})
    assert opened.status_code == 201, opened.text
    again = gateway.post(f"{USERS}/me/seller", headers=session.auth(),
                         json={"headline": "Illustrator", "description": "Children's books and posters since 2015."})
    assert again.status_code == 200
    wait_for(lambda: "seller" in refreshed(gateway, session)["roles"], interval=0.3,
             what="user.seller_activated to grant the seller role at the auth service")
    assert "seller" in gateway.get("/api/auth/me", headers=session.auth()).json()["roles"]
    assert gateway.get(f"{USERS}/{session.username}").json()["seller"]["headline"] == "Illustrator"


def test_preferences_are_validated_and_kept(gateway, session):
    changed = gateway.patch(f"{USERS}/me/preferences", headers=session.auth(),
                            json={"message_emails": False, "language": "de", "timezone": "Europe/Berlin"})
    assert changed.status_code == 200, changed.text
    assert gateway.get(f"{USERS}/me/preferences", headers=session.auth()).json()["language"] == "de"
    assert_problem(gateway.patch(f"{USERS}/me/preferences", headers=session.auth(), json={"currency": "DOGE"}),
                   400, field="currency")


def test_an_avatar_is_uploaded_through_the_gateway_and_served_by_it(gateway, session):
    response = gateway.patch(f"{USERS}/me", headers=session.auth(), files={"avatar": ("me.png", png(), "image/png")})
    assert response.status_code == 200, response.text
    url = response.json()["avatar_url"]
    assert url.startswith(f"{gateway.base_url}/media/users/avatars/{session.id}/")
    image = gateway.get(url)
    assert image.status_code == 200 and image.headers["content-type"] == "image/png"
    assert image.headers["x-content-type-options"] == "nosniff"
    assert Image.open(io.BytesIO(image.content)).size == (256, 256)

    bad = gateway.patch(f"{USERS}/me", headers=session.auth(),
                        files={"avatar": ("me.png", b"<?php echo 'hi'; ?>", "image/png")})
    assert_problem(bad, 400, field="avatar")
    assert gateway.get(f"{USERS}/me", headers=session.auth()).json()["avatar_url"] == url
    assert_problem(gateway.get("/media/users/avatars/nothing-here.png"), 404)


def test_stats_come_from_review_and_order_events_and_replays_change_nothing(platform, gateway, session):
    gateway.get(f"{USERS}/me", headers=session.auth())
    seller = session.id

    def review(rating):
        return {"review_id": str(uuid.uuid4()), "order_id": str(uuid.uuid4()), "gig_id": str(uuid.uuid4()),
                "buyer_id": str(uuid.uuid4()), "seller_id": seller, "rating": rating, "comment": "",
                "created_at": "2026-05-20T12:00:00Z", **RATINGS}

    sale = {"order_id": str(uuid.uuid4()), "gig_id": str(uuid.uuid4()), "buyer_id": str(uuid.uuid4()),
            "seller_id": seller, "price": "25.00", "currency": "USD", "completed_at": "2026-05-19T18:30:00Z",
            "package": "basic", "title": "A gig", "by": "buyer"}
    five, four = review(5), review(4)
    ids = [publish_event(platform, "review.created", five), publish_event(platform, "review.created", four),
           publish_event(platform, "order.completed", sale)]
    # The same events again (a redelivery), and the same facts under new ids (a replay by the producer).
    publish_event(platform, "review.created", five, event_id=ids[0])
    publish_event(platform, "order.completed", sale, event_id=ids[2])
    publish_event(platform, "review.created", five)
    publish_event(platform, "order.completed", sale)
    marker = publish_event(platform, "review.created", review(3))  # the queue is single-consumer: last in, last out

    def stats():
        return gateway.get(f"{USERS}/{session.username}").json()["stats"]

    wait_for(lambda: stats()["rating_count"] == 3, what="the review events to be counted")
    assert stats() == {"rating_avg": "4.00", "rating_count": 3, "orders_completed": 1}
    with platform.database("users") as db:
        assert db.execute("SELECT count(*) FROM events_inboxevent WHERE event_id = %s", [marker]).fetchone()[0] == 1


def test_deactivation_by_staff_shuts_the_user_out_and_reactivation_lets_them_back(platform, gateway, session):
    assert gateway.get("/api/auth/me", headers=session.auth()).status_code == 200
    gateway.get(f"{USERS}/me", headers=session.auth())
    users_admin = "/admin/auth/accounts/user/"
    with staff_admin(platform) as admin:
        admin_action(platform, admin, users_admin, "deactivate_accounts", [session.id])
        # Refused at once by every verifier: the auth service cut the tokens off before it committed.
        assert_problem(gateway.get(f"{USERS}/me", headers=session.auth()), 401)
        assert_problem(gateway.get("/api/auth/me", headers=session.auth()), 401)
        assert_problem(gateway.post("/api/auth/refresh", json={"refresh": session.refresh}), 401)
        assert_problem(gateway.post("/api/auth/login", json={"email": session.email, "password": session.password}),
                       401)
        wait_for(lambda: gateway.get(f"{USERS}/{session.username}").status_code == 404, interval=0.3,
                 what="user.deactivated to hide the public profile")
        assert_problem(gateway.get(f"{USERS}/{session.username}"), 404)

        admin_action(platform, admin, users_admin, "reactivate_accounts", [session.id])
    assert gateway.post("/api/auth/login", json={"email": session.email, "password": session.password}
                        ).status_code == 200
    wait_for(lambda: gateway.get(f"{USERS}/{session.username}").status_code == 200, interval=0.3,
             what="user.reactivated to show the public profile again")
    assert_problem(gateway.get("/api/auth/me", headers=session.auth()), 401)  # the old token stays refused
