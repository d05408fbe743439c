"""POST /api/auth/login and GET /api/auth/me."""

import jwt
import pytest
from marketplace_libs import testing
from marketplace_libs.tokens import get_verifier

from accounts.models import User

from .conftest import AUTH, PASSWORD, bearer, problem

pytestmark = pytest.mark.django_db


def test_login_gives_a_token_pair(api, account):
    response = api.post(f"{AUTH}/login", {"email": account.email, "password": PASSWORD}, format="json")

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access", "refresh", "token_type", "expires_in"}
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 900

    header = jwt.get_unverified_header(body["access"])
    assert header["alg"] == "RS256" and header["kid"]
    token = get_verifier().verify(body["access"])
    assert token.user_id == account.id
    assert token.username == "alice"
    assert token.roles == ("buyer",)
    assert token.jti
    assert 899 <= token.expires_at - token.issued_at <= 901

    refresh = jwt.decode(body["refresh"], options={"verify_signature": False})
    assert refresh["token_type"] == "refresh"
    assert refresh["sub"] == account.id
    assert refresh["exp"] - refresh["iat"] >= 7 * 86400 - 1


def test_login_records_last_login(api, account, login):
    assert User.objects.get(pk=account.id).last_login is None
    login(account)
    assert User.objects.get(pk=account.id).last_login is not None


@pytest.mark.parametrize("email", ["ALICE@example.com", "  alice@example.com  ", "Alice@Example.Com"])
def test_email_is_matched_case_insensitively(api, account, email):
    response = api.post(f"{AUTH}/login", {"email": email, "password": PASSWORD}, format="json")
    assert response.status_code == 200


def test_wrong_password_is_401(api, account):
    response = api.post(f"{AUTH}/login", {"email": account.email, "password": "not-the-password"}, format="json")
    body = problem(response, 401)
    assert body["detail"] == "The email or password is wrong."
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert User.objects.get(pk=account.id).last_login is None


def test_unknown_email_looks_like_a_wrong_password(api, account):
    wrong_password = api.post(f"{AUTH}/login", {"email": account.email, "password": "nope-nope-nope"},
                              format="json")
    unknown = api.post(f"{AUTH}/login", {"email": "nobody@example.com", "password": "nope-nope-nope"},
                       format="json")
    first, second = problem(wrong_password, 401), problem(unknown, 401)
    assert {k: v for k, v in first.items() if k != "request_id"} == \
        {k: v for k, v in second.items() if k != "request_id"}


def test_password_is_case_sensitive_and_not_trimmed(api, account):
    for password in (PASSWORD.upper(), f" {PASSWORD}", f"{PASSWORD} "):
        assert api.post(f"{AUTH}/login", {"email": account.email, "password": password},
                        format="json").status_code == 401


def test_inactive_account_cannot_log_in(api, account):
    User.objects.filter(pk=account.id).update(is_active=False)
    problem(api.post(f"{AUTH}/login", {"email": account.email, "password": PASSWORD}, format="json"), 401)


@pytest.mark.parametrize("body, field", [
    ({"password": PASSWORD}, "email"),
    ({"email": "alice@example.com"}, "password"),
    ({"email": "", "password": PASSWORD}, "email"),
])
def test_missing_fields_are_400(api, account, body, field):
    response = api.post(f"{AUTH}/login", body, format="json")
    assert field in problem(response, 400)["errors"]


def test_login_ignores_a_stale_token(api, account):
    response = api.post(f"{AUTH}/login", {"email": account.email, "password": PASSWORD}, format="json",
                        HTTP_AUTHORIZATION="Bearer expired-or-garbage")
    assert response.status_code == 200


def test_each_login_is_its_own_session(account, login):
    first, second = login(account), login(account)
    assert first["access"] != second["access"]
    first_family = jwt.decode(first["refresh"], options={"verify_signature": False})["fam"]
    second_family = jwt.decode(second["refresh"], options={"verify_signature": False})["fam"]
    assert first_family != second_family


# --- /me -------------------------------------------------------------------------------------

def test_me(api, account, login):
    response = api.get(f"{AUTH}/me", **bearer(login(account)["access"]))
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"id", "email", "username", "roles", "date_joined", "email_verified"}
    assert body["id"] == account.id
    assert body["email"] == "alice@example.com"
    assert body["roles"] == ["buyer"]
    assert body["email_verified"] is False  # registered through the API, the link not yet followed
    assert body["date_joined"].endswith("Z")


def test_me_without_a_token_is_401(api):
    response = api.get(f"{AUTH}/me")
    problem(response, 401)
    assert response["WWW-Authenticate"] == 'Bearer realm="marketplace"'


@pytest.mark.parametrize("header", ["Bearer garbage", "Token abc", "Bearer"])
def test_me_with_a_bad_token_is_401(api, header):
    response = api.get(f"{AUTH}/me", HTTP_AUTHORIZATION=header)
    problem(response, 401)
    assert "WWW-Authenticate" in response


def test_me_refuses_tokens_the_service_did_not_sign(api, account):
    """A token minted with the shared test key (any key but the service's own) is refused."""
    forged = testing.mint_token(user_id=account.id, username="alice", roles=("buyer", "staff"))
    assert problem(api.get(f"{AUTH}/me", **bearer(forged)), 401)["type"].endswith("token_invalid")
    alg_none = testing.unsigned_token(sub=account.id)
    problem(api.get(f"{AUTH}/me", **bearer(alg_none)), 401)


def test_me_refuses_a_tampered_token(api, account, login):
    access = login(account)["access"]
    tampered = testing.with_claims_of(access, roles=["buyer", "seller", "staff"])
    problem(api.get(f"{AUTH}/me", **bearer(tampered)), 401)


def test_me_of_a_deactivated_account_is_401(api, account, login):
    access = login(account)["access"]
    User.objects.filter(pk=account.id).update(is_active=False)
    body = problem(api.get(f"{AUTH}/me", **bearer(access)), 401)
    assert "no longer active" in body["detail"]
