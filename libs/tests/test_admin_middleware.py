"""Sessions, CSRF, Django's authentication and messages work on the admin's pages and step aside on the API."""

import pytest
from django.test import Client

from marketplace_libs import testing
from marketplace_libs.admin_sso import ADMIN_TOKEN_COOKIE

API = "/api/libstest/"
ADMIN = "/admin/libstest/"

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("trust_test_key")]


def test_an_api_call_gets_no_session_nor_csrf_cookie_and_no_django_user():
    client = Client(enforce_csrf_checks=True)
    token = testing.mint_token(username="api-anna")

    answer = client.get(f"{API}whoami", HTTP_AUTHORIZATION=f"Bearer {token}")

    assert answer.status_code == 200
    assert not answer.cookies, "an API answer sets no cookie"
    assert not hasattr(answer.wsgi_request, "session")
    assert not hasattr(answer.wsgi_request, "_messages")


def test_an_api_post_with_a_bearer_token_needs_no_csrf_token():
    client = Client(enforce_csrf_checks=True)
    answer = client.post(f"{API}echo", {"name": "x", "quantity": 1}, content_type="application/json")
    assert answer.status_code != 403


def test_the_admin_still_has_its_session_and_refuses_a_post_without_csrf_token():
    client = Client(enforce_csrf_checks=True)
    client.cookies[ADMIN_TOKEN_COOKIE] = testing.mint_token(username="ops-olga", roles=("buyer", "staff"))

    index = client.get(ADMIN)
    assert index.status_code == 200
    assert index.wsgi_request.user.username == "ops-olga", "signed in, into a session"
    assert client.cookies.get("sessionid") or any("session" in name for name in client.cookies)

    forged = client.post(f"{ADMIN}logout/")
    assert forged.status_code == 403, "no CSRF token, no logout"
    assert client.get(ADMIN).status_code == 200, "still signed in"
