"""Admin single sign-on on a service other than auth: the staff token cookie signs staff in."""

import time

import pytest
from django.contrib.admin import AdminSite
from django.contrib.auth import get_user_model
from django.test import Client, RequestFactory

from marketplace_libs import admin_sso, revocation, testing, tokens
from marketplace_libs import settings as platform_settings
from marketplace_libs.admin_sso import ADMIN_TOKEN_COOKIE, staff_user_from_cookie

ADMIN = "/admin/libstest/"

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("trust_test_key")]


def staff_token(**claims) -> str:
    claims.setdefault("username", "ops-anna")
    claims.setdefault("roles", ("buyer", "staff"))
    return testing.mint_token(**claims)


def users():
    return get_user_model().objects


# --- staff_user_from_cookie ------------------------------------------------------------------

def test_staff_token_creates_a_local_staff_user():
    user = staff_user_from_cookie(staff_token())
    assert user is not None
    assert user.username == "ops-anna"
    assert user.is_staff and user.is_active
    assert not user.is_superuser
    assert users().filter(username="ops-anna").count() == 1


def test_superuser_claim_makes_a_local_superuser():
    assert staff_user_from_cookie(staff_token(is_superuser=True)).is_superuser


def test_second_visit_reuses_and_updates_the_local_user():
    first = staff_user_from_cookie(staff_token(is_superuser=True))
    users().filter(pk=first.pk).update(is_staff=False, is_active=False)

    second = staff_user_from_cookie(staff_token(is_superuser=False))

    assert second.pk == first.pk
    assert second.is_staff and second.is_active and not second.is_superuser
    assert users().count() == 1


def test_non_staff_token_gives_nobody():
    assert staff_user_from_cookie(testing.mint_token(username="buyer-bob", roles=("buyer", "seller"))) is None
    assert not users().exists()


@pytest.mark.parametrize("raw", [
    None,
    "",
    "garbage",
    testing.unsigned_token(username="evil", roles=["staff"]),
    testing.mint_token(username="ops", roles=("staff",), key=testing.test_private_key("attacker")),
    testing.mint_token(username="ops", roles=("staff",), issued_at=time.time() - 3600),
    testing.mint_token(username="ops", roles=("staff",), token_type="refresh"),
])
def test_bad_token_gives_nobody(raw):
    assert staff_user_from_cookie(raw) is None
    assert not users().exists()


def test_tampered_roles_give_nobody():
    raw = testing.with_claims_of(testing.mint_token(username="ops", roles=("buyer",)), roles=["staff"])
    assert staff_user_from_cookie(raw) is None


def test_revoked_staff_token_gives_nobody():
    raw = staff_token()
    token = tokens.get_verifier().verify(raw)
    revocation.revoke_token(token.jti, token.expires_at)
    assert staff_user_from_cookie(raw) is None


# --- through the admin ---------------------------------------------------------------------------

def test_admin_with_the_cookie_signs_in():
    client = Client()
    client.cookies[ADMIN_TOKEN_COOKIE] = staff_token()

    response = client.get(ADMIN)

    assert response.status_code == 200
    assert b"ops-anna" in response.content
    assert users().get(username="ops-anna").is_staff
    # The admin session now stands on its own, scoped to this service's admin.
    session_cookie = response.cookies["libstest_sessionid"]
    assert session_cookie["path"] == ADMIN
    assert client.get(ADMIN).status_code == 200


def signed_in_client() -> tuple[Client, str]:
    client = Client()
    raw = staff_token()
    client.cookies[ADMIN_TOKEN_COOKIE] = raw
    assert client.get(ADMIN).status_code == 200
    return client, raw


def test_the_admin_session_ends_with_the_staff_cookie():
    # Signed out at the auth admin (which deletes the cookie), or its token expired unrenewed.
    client, _raw = signed_in_client()
    del client.cookies[ADMIN_TOKEN_COOKIE]

    response = client.get(ADMIN)

    assert response.status_code == 302 and response["Location"].startswith(f"{ADMIN}login/")


def test_the_admin_session_ends_when_the_account_s_tokens_are_revoked():
    # A deactivation (or password change) revokes every token of the user, the cookie's too.
    client, raw = signed_in_client()
    token = tokens.get_verifier().verify(raw)
    revocation.revoke_tokens_of_user(token.user_id, issued_before=time.time() + 1, lifetime_seconds=900)

    assert client.get(ADMIN).status_code == 302


def test_the_admin_session_ends_when_the_cookie_loses_the_staff_role():
    client, _raw = signed_in_client()
    client.cookies[ADMIN_TOKEN_COOKIE] = testing.mint_token(username="ops-anna", roles=("buyer",))
    assert client.get(ADMIN).status_code == 302


def test_another_staff_member_s_cookie_switches_the_session_to_them():
    client, _raw = signed_in_client()
    client.cookies[ADMIN_TOKEN_COOKIE] = staff_token(username="ops-ben")
    response = client.get(ADMIN)
    assert response.status_code == 200 and b"ops-ben" in response.content and b"ops-anna" not in response.content


def test_admin_without_the_cookie_redirects_to_login():
    response = Client().get(ADMIN)
    assert response.status_code == 302
    assert response["Location"] == f"{ADMIN}login/?next={ADMIN}"
    assert not users().exists()


@pytest.mark.parametrize("cookie", ["not-a-token", testing.mint_token(username="bob", roles=("buyer",))])
def test_admin_with_a_useless_cookie_redirects_to_login(cookie):
    client = Client()
    client.cookies[ADMIN_TOKEN_COOKIE] = cookie
    response = client.get(ADMIN)
    assert response.status_code == 302
    assert response["Location"].startswith(f"{ADMIN}login/")


def test_cookie_is_only_read_under_this_service_s_admin():
    client = Client()
    client.cookies[ADMIN_TOKEN_COOKIE] = staff_token()
    client.get("/healthz")
    assert not users().exists()


def test_installed_login_page_sends_people_to_the_auth_service():
    """tests/urls.py calls admin_sso.install(admin.site), as every service but auth does."""
    response = Client().get(f"{ADMIN}login/?next={ADMIN}gizmos/")
    assert response.status_code == 302
    assert response["Location"] == "/admin/auth/login/?next=%2Fadmin%2Flibstest%2Fgizmos%2F"


def test_following_the_admin_redirects_ends_at_the_central_login():
    response = Client().get(ADMIN, follow=True)
    assert response.redirect_chain[-1] == ("/admin/auth/login/?next=%2Fadmin%2Flibstest%2F", 302)


def test_install_replaces_a_site_s_login():
    site = AdminSite(name="other")
    request = RequestFactory().get("/admin/other/login/")

    admin_sso.install(site)

    response = site.login(request)
    assert response.status_code == 302
    assert response["Location"] == "/admin/auth/login/?next=%2Fadmin%2Fother%2Flogin%2F"


# --- settings: where the middleware goes ---------------------------------------------------------

def test_with_admin_sso_puts_it_after_authentication_and_before_messages():
    base = list(platform_settings.MIDDLEWARE)
    middleware = platform_settings.with_admin_sso(base)
    position = middleware.index(platform_settings.ADMIN_SSO_MIDDLEWARE)
    assert middleware[position - 1] == "marketplace_libs.admin_middleware.AuthenticationMiddleware"
    assert middleware[position + 1] == "marketplace_libs.admin_middleware.MessageMiddleware"
    assert [name for name in middleware if name != platform_settings.ADMIN_SSO_MIDDLEWARE] == base
    assert base == platform_settings.MIDDLEWARE  # the shared list is left as it was


def test_with_admin_sso_takes_the_auth_service_s_own_entry():
    entry = "accounts.admin_sso.AdminTokenCookieMiddleware"
    middleware = platform_settings.with_admin_sso(list(platform_settings.MIDDLEWARE), entry=entry)
    assert entry in middleware and platform_settings.ADMIN_SSO_MIDDLEWARE not in middleware


def test_a_service_s_settings_run_the_middleware(settings):
    assert settings.MIDDLEWARE.count(platform_settings.ADMIN_SSO_MIDDLEWARE) == 1
