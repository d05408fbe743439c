import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from marketplace_libs.testing import deliver, problem, published
from profiles.models import Profile

from .conftest import USERS, deactivated, png_bytes, registered


def test_a_new_user_has_a_profile_before_the_registration_event_arrives(caller):
    me = caller()
    response = me.client.get(f"{USERS}/me")
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == me.id and body["username"] == me.username
    assert body["is_seller"] is False and body["seller"] is None
    assert body["stats"] == {"rating_avg": None, "rating_count": 0, "orders_completed": 0}
    assert body["preferences"]["currency"] == "USD"
    assert set(body) == {"id", "username", "display_name", "bio", "country", "languages", "skills", "avatar_url",
                         "is_seller", "seller", "stats", "buyer_stats", "preferences", "created_at", "level",
                         "on_time_rate", "response_time_hours", "online", "last_seen_at"}
    assert body["buyer_stats"] == {"rating_avg": None, "rating_count": 0}


def test_the_registration_event_after_a_lazy_profile_fills_it_in_without_a_duplicate(caller):
    me = caller()
    me.client.get(f"{USERS}/me")
    deliver(registered(me.id, me.username, "ada@example.com"))
    assert Profile.objects.filter(user_id=me.id).count() == 1
    profile = Profile.objects.get(user_id=me.id)
    assert profile.email == "ada@example.com"
    assert profile.created_at.isoformat().startswith("2026-01-02T03:04:05")


def test_the_registration_event_first_then_the_request(caller):
    me = caller()
    deliver(registered(me.id, me.username))
    assert me.client.get(f"{USERS}/me").json()["username"] == me.username
    assert Profile.objects.filter(user_id=me.id).count() == 1


def test_patch_changes_the_profile_and_publishes_the_public_card(caller):
    me = caller()
    response = me.client.patch(f"{USERS}/me", {
        "display_name": "  Ada Lovelace ", "bio": "Analytical engines.", "country": "gb",
        "languages": ["EN", "fr", "en"], "skills": ["Django", "django", " PostgreSQL "],
    }, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["display_name"] == "Ada Lovelace"
    assert body["country"] == "GB"
    assert body["languages"] == ["en", "fr"]
    assert body["skills"] == ["Django", "PostgreSQL"]
    [card] = published("user.profile_updated")
    assert card["display_name"] == "Ada Lovelace" and card["country"] == "GB" and card["revision"] == 1


def test_a_change_others_do_not_show_publishes_nothing(caller):
    me = caller()
    assert me.client.patch(f"{USERS}/me", {"bio": "Only the bio."}, format="json").status_code == 200
    assert published("user.profile_updated") == []


@pytest.mark.parametrize("body, field", [
    ({"display_name": "x" * 51}, "display_name"),
    ({"display_name": 42}, "display_name"),
    ({"bio": "x" * 1001}, "bio"),
    ({"country": "UK"}, "country"),
    ({"country": "GBR"}, "country"),
    ({"languages": ["english"]}, "languages"),
    ({"languages": "en"}, "languages"),
    ({"languages": ["xx"]}, "languages"),
    ({"languages": [code for code in ("en", "fr", "de", "es", "it", "pt", "nl", "pl", "sv", "da", "fi")]}, "languages"),
    ({"skills": [f"skill {n}" for n in range(31)]}, "skills"),
    ({"skills": ["x" * 51]}, "skills"),
    ({"skills": ["  "]}, "skills"),
    ({"skills": [7]}, "skills"),
    ({"avatar": "https://example.com/me.png"}, "avatar"),
    ({"email": "new@example.com"}, "email"),
    ({"username": "someone_else"}, "username"),
])
def test_bad_input_is_a_400_naming_the_field_and_changes_nothing(caller, body, field):
    me = caller()
    before = me.client.get(f"{USERS}/me").json()
    error = problem(me.client.patch(f"{USERS}/me", {"display_name": "Kept", **body} if field != "display_name"
                                    else body, format="json"), 400)
    # A list item's error is keyed by its path ("skills.0").
    assert any(key == field or key.startswith(f"{field}.") for key in error["errors"]), error["errors"]
    assert me.client.get(f"{USERS}/me").json() == before
    assert published("user.profile_updated") == []


def test_a_body_that_is_not_an_object_is_a_400(caller):
    me = caller()
    problem(me.client.patch(f"{USERS}/me", ["display_name"], format="json"), 400)
    problem(me.client.generic("PATCH", f"{USERS}/me", "{not json", content_type="application/json"), 400)


def test_an_avatar_upload_is_stored_and_served_and_replacing_it_removes_the_old_file(
        caller, django_capture_on_commit_callbacks):
    me = caller()
    first = me.client.patch(f"{USERS}/me", {"avatar": SimpleUploadedFile("me.png", png_bytes(), "image/png"),
                                            "display_name": "Ada"}, format="multipart")
    assert first.status_code == 200, first.content
    url = first.json()["avatar_url"]
    assert url.startswith("http://testserver/media/users/avatars/") and url.endswith(".png")
    profile = Profile.objects.get(user_id=me.id)
    old_name = profile.avatar.name
    assert profile.avatar.storage.exists(old_name)

    with django_capture_on_commit_callbacks(execute=True):  # the old file goes once the change is committed
        second = me.client.patch(f"{USERS}/me", {"avatar": SimpleUploadedFile("x.jpg", png_bytes(fmt="JPEG"),
                                                                               "image/jpeg")}, format="multipart")
    assert second.json()["avatar_url"].endswith(".jpg")
    assert not profile.avatar.storage.exists(old_name)
    assert [card["revision"] for card in published("user.profile_updated")] == [1, 2]

    removed = me.client.patch(f"{USERS}/me", {"avatar": None}, format="json")
    assert removed.json()["avatar_url"] is None


@pytest.mark.parametrize("name, data", [
    ("evil.png", b"#!/bin/sh\necho not an image\n"),
    ("tiny.png", png_bytes(size=(8, 8))),
    ("huge.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * (2 * 1024 * 1024 + 10)),
])
def test_a_bad_avatar_is_a_400_on_the_avatar_field_and_stores_nothing(caller, name, data, settings, tmp_path):
    me = caller()
    response = me.client.patch(f"{USERS}/me", {"avatar": SimpleUploadedFile(name, data, "image/png"),
                                               "display_name": "Not saved"}, format="multipart")
    assert "avatar" in problem(response, 400)["errors"]
    assert Profile.objects.get(user_id=me.id).display_name == ""
    media = tmp_path / "media"
    assert not media.exists() or not any(path.is_file() for path in media.rglob("*"))


def test_without_a_token_me_is_a_401(api_client, db):
    problem(api_client.get(f"{USERS}/me"), 401)
    problem(api_client.patch(f"{USERS}/me", {"bio": "x"}, format="json"), 401)


def test_a_deactivated_user_cannot_edit_their_profile(caller):
    me = caller()
    deliver(deactivated(me.client.get(f"{USERS}/me").json()["id"]))
    problem(me.client.patch(f"{USERS}/me", {"bio": "x"}, format="json"), 403)
