"""The auth_request endpoint nginx consults for every API request."""

import time

import pytest

from marketplace_libs import revocation, testing

pytestmark = pytest.mark.usefixtures("trust_test_key")


def _verify(client, path, method="GET", token=None):
    headers = {"HTTP_X_ORIGINAL_URI": path, "HTTP_X_ORIGINAL_METHOD": method}
    if token is not None:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return client.get("/_auth/verify", **headers)


def test_a_valid_token_passes_with_the_identity(client):
    token = testing.mint_token(user_id="7d1c1f0e-0000-4000-8000-000000000001", username="ann", roles=("buyer", "seller"))
    response = _verify(client, "/api/auth/me", token=token)
    assert response.status_code == 200
    assert response["X-User-Id"] == "7d1c1f0e-0000-4000-8000-000000000001"
    assert response["X-Username"] == "ann" and response["X-User-Roles"] == "buyer,seller"


def test_no_token_on_a_private_route_is_refused_as_missing(client):
    response = _verify(client, "/api/auth/me")
    assert response.status_code == 401 and response["X-Auth-Error"] == "token_missing"


@pytest.mark.parametrize("token,code", [
    (lambda: testing.mint_token(issued_at=time.time() - 3600, lifetime=60), "token_expired"),
    (lambda: testing.mint_token(key=testing.test_private_key("other")), "token_invalid"),
    (lambda: testing.unsigned_token(), "token_invalid"),
    (lambda: testing.mint_token(token_type="refresh"), "token_invalid"),
    (lambda: "garbage", "token_invalid"),
])
def test_bad_tokens_are_refused_with_their_reason(client, token, code):
    response = _verify(client, "/api/auth/me", token=token())
    assert response.status_code == 401 and response["X-Auth-Error"] == code
    assert response["Content-Type"] == "application/problem+json"


def test_a_revoked_token_is_refused(client):
    token = testing.mint_token()
    claims = __import__("jwt").decode(token, options={"verify_signature": False})
    revocation.revoke_token(claims["jti"], claims["exp"])
    response = _verify(client, "/api/auth/me", token=token)
    assert response.status_code == 401 and response["X-Auth-Error"] == "token_revoked"


def test_public_routes_pass_without_a_token(client):
    assert _verify(client, "/api/gigs/").status_code == 200
    assert _verify(client, "/api/auth/login", method="POST").status_code == 200


def test_an_optional_route_still_refuses_a_bad_token(client):
    assert _verify(client, "/api/gigs/", token="garbage").status_code == 401


def test_an_ignored_route_does_not_look_at_the_token(client):
    assert _verify(client, "/api/auth/login", method="POST", token="stale.or.garbage").status_code == 200


def test_the_query_string_does_not_change_the_route(client):
    assert _verify(client, "/api/gigs/?q=logo&page=2").status_code == 200
    assert _verify(client, "/api/auth/me?x=/api/gigs/").status_code == 401
