"""The auth side of admin single sign-on: signing in at /admin/auth/ sets the staff token cookie."""

import time
from types import SimpleNamespace

import pytest
from django.test import Client
from marketplace_libs.admin_sso import ADMIN_TOKEN_COOKIE
from marketplace_libs.tokens import get_verifier

from accounts.models import User

from .conftest import PASSWORD

pytestmark = pytest.mark.django_db

ADMIN = "/admin/auth/"


@pytest.fixture
def staff():
    return User.objects.create_user("ops@example.com", "ops_anna", PASSWORD, is_staff=True)


def sign_in(client: Client, email: str, password: str = PASSWORD):
    return client.post(f"{ADMIN}login/", {"username": email, "password": password, "next": ADMIN})


def test_staff_sign_in_sets_the_admin_token_cookie(staff):
    client = Client()

    response = sign_in(client, "ops@example.com")

    assert response.status_code == 302
    assert response["Location"] == ADMIN
    cookie = response.cookies[ADMIN_TOKEN_COOKIE]
    assert cookie["path"] == "/admin/"
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"
    assert int(cookie["max-age"]) == 15 * 60
    assert not cookie["secure"]  # development; production sets Secure

    token = get_verifier().verify(cookie.value)
    assert token.user_id == str(staff.id)
    assert token.username == "ops_anna"
    assert token.has_role("staff")
    assert token.claims["is_superuser"] is False


def test_superuser_flag_travels_in_the_token():
    User.objects.create_superuser("root@example.com", "rooty", PASSWORD)
    response = sign_in(Client(), "root@example.com")
    token = get_verifier().verify(response.cookies[ADMIN_TOKEN_COOKIE].value)
    assert token.claims["is_superuser"] is True


def test_the_cookie_is_not_reissued_while_fresh(staff):
    client = Client()
    sign_in(client, "ops@example.com")
    assert client.cookies[ADMIN_TOKEN_COOKIE].value

    response = client.get(ADMIN)

    assert response.status_code == 200
    assert ADMIN_TOKEN_COOKIE not in response.cookies


def test_the_cookie_is_renewed_when_it_is_about_to_expire(staff, monkeypatch):
    client = Client()
    sign_in(client, "ops@example.com")
    old = client.cookies[ADMIN_TOKEN_COOKIE].value
    in_12_minutes = time.time() + 12 * 60  # 3 minutes left of the token's 15
    monkeypatch.setattr("accounts.admin_sso.time", SimpleNamespace(time=lambda: in_12_minutes))

    response = client.get(ADMIN)

    assert response.cookies[ADMIN_TOKEN_COOKIE].value not in ("", old)


def test_a_session_without_a_valid_cookie_gets_a_new_one(staff):
    client = Client()
    sign_in(client, "ops@example.com")
    client.cookies[ADMIN_TOKEN_COOKIE] = "garbage"
    response = client.get(ADMIN)
    assert get_verifier().verify(response.cookies[ADMIN_TOKEN_COOKIE].value).has_role("staff")


def test_logout_deletes_the_cookie(staff):
    client = Client()
    sign_in(client, "ops@example.com")

    response = client.post(f"{ADMIN}logout/")

    assert response.status_code in (200, 302)
    cookie = response.cookies[ADMIN_TOKEN_COOKIE]
    assert cookie.value == ""
    assert cookie["path"] == "/admin/"
    assert cookie["max-age"] == 0
    assert client.get(ADMIN).status_code == 302  # signed out of the auth admin too


def test_non_staff_cannot_sign_in_and_gets_no_cookie(account):
    response = sign_in(Client(), account.email)
    assert response.status_code == 200  # the form again, with an error
    assert ADMIN_TOKEN_COOKIE not in response.cookies


def test_wrong_password_gets_no_cookie(staff):
    response = sign_in(Client(), "ops@example.com", password="not-the-password")
    assert response.status_code == 200
    assert ADMIN_TOKEN_COOKIE not in response.cookies


def test_no_cookie_outside_the_admin(staff):
    client = Client()
    client.force_login(staff)
    assert ADMIN_TOKEN_COOKIE not in client.get("/healthz").cookies


def test_the_admin_login_page_is_the_auth_service_s_own_form():
    response = Client().get(f"{ADMIN}login/?next={ADMIN}")
    assert response.status_code == 200
    assert b'name="password"' in response.content


def test_a_signed_in_staff_member_sent_back_from_another_admin_returns_with_a_fresh_cookie(staff):
    client = Client()
    sign_in(client, "ops@example.com")
    del client.cookies[ADMIN_TOKEN_COOKIE]  # the gigs admin's session ended with its cookie

    response = client.get(f"{ADMIN}login/?next=/admin/gigs/gig/")

    assert response.status_code == 302 and response["Location"] == "/admin/gigs/gig/"
    assert get_verifier().verify(response.cookies[ADMIN_TOKEN_COOKIE].value).has_role("staff")


@pytest.mark.parametrize("next_url", ["https://evil.example/admin/", "//evil.example/admin/", "/api/auth/me"])
def test_the_way_back_leads_only_to_an_admin_page_of_this_site(staff, next_url):
    client = Client()
    sign_in(client, "ops@example.com")
    response = client.get(f"{ADMIN}login/", {"next": next_url})
    assert response.get("Location", "") != next_url


def test_someone_not_signed_in_gets_the_form_not_the_way_back():
    response = Client().get(f"{ADMIN}login/?next=/admin/gigs/")
    assert response.status_code == 200


def test_the_outbox_admin_never_shows_a_live_reset_link(staff, account, api):
    from marketplace_libs.events.models import OutboxEvent

    api.post("/api/auth/password/reset", {"email": account.email}, format="json")
    event = OutboxEvent.objects.get(event_type="auth.password_reset_requested")
    token = event.data["reset_url"].split("token=", 1)[1]
    client = Client()
    client.force_login(staff)
    staff.is_superuser = True
    staff.save()

    page = client.get(f"{ADMIN}events/outboxevent/{event.pk}/change/")

    assert page.status_code == 200
    assert token not in page.content.decode()
    assert "reset-password?token=[redacted]" in page.content.decode()
