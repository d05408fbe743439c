"""Every row of the auth service's contract, through the gateway on the real servers."""

from __future__ import annotations

import time
import uuid
from urllib.parse import parse_qs, urlsplit

import pytest

from .support import PASSWORD, after_the_second_it_was_issued, assert_problem


def test_register_answers_201_with_the_public_fields(gateway):
    tag = uuid.uuid4().hex[:8]
    response = gateway.post("/api/auth/register",
                            json={"email": f"New-{tag}@Example.com", "username": f"new_{tag}", "password": PASSWORD})
    assert response.status_code == 201, response.text
    body = response.json()
    assert set(body) == {"id", "email", "username"}
    assert body["email"] == f"new-{tag}@example.com"
    uuid.UUID(body["id"])


def test_register_refuses_a_taken_email_in_any_case(platform, gateway, new_user):
    response = gateway.post("/api/auth/register", json={
        "email": new_user.email.upper(), "username": f"other_{uuid.uuid4().hex[:8]}", "password": PASSWORD})
    assert_problem(response, 400, field="email")


def test_register_refuses_a_taken_username_in_any_case(gateway, new_user):
    response = gateway.post("/api/auth/register", json={
        "email": f"x-{uuid.uuid4().hex[:8]}@example.com", "username": new_user.username.upper(), "password": PASSWORD})
    assert_problem(response, 400, field="username")


@pytest.mark.parametrize("password", ["short", "password123", "12345678901234", ""])
def test_register_refuses_a_weak_password_and_creates_nothing(platform, gateway, password):
    email = f"weak-{uuid.uuid4().hex[:8]}@example.com"
    response = gateway.post("/api/auth/register", json={"email": email, "username": f"w_{uuid.uuid4().hex[:8]}",
                                                       "password": password})
    assert_problem(response, 400, field="password")
    with platform.database("auth") as db:
        assert db.execute("SELECT count(*) FROM accounts_user WHERE email = %s", [email]).fetchone()[0] == 0


def test_login_gives_a_bearer_token_pair(gateway, new_user):
    response = gateway.post("/api/auth/login", json={"email": new_user.email, "password": new_user.password})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 900
    assert body["access"].count(".") == 2 and body["refresh"].count(".") == 2


def test_login_email_is_case_insensitive(gateway, new_user):
    response = gateway.post("/api/auth/login", json={"email": new_user.email.upper(), "password": new_user.password})
    assert response.status_code == 200


@pytest.mark.parametrize("which", ["wrong password", "unknown email"])
def test_login_with_wrong_credentials_is_401(gateway, new_user, which):
    email = new_user.email if which == "wrong password" else f"nobody-{uuid.uuid4().hex}@example.com"
    body = assert_problem(gateway.post("/api/auth/login", json={"email": email, "password": "not the password"}), 401)
    assert "wrong" in body["detail"]


def test_me_describes_the_caller(gateway, session):
    response = gateway.get("/api/auth/me", headers=session.auth())
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["id"] == session.id and body["email"] == session.email and body["username"] == session.username
    assert body["roles"] == ["buyer"]
    assert body["email_verified"] is True  # the session fixture's user followed the emailed link
    assert body["date_joined"].endswith("Z")


def test_refresh_rotates_and_the_spent_token_is_refused(gateway, session):
    first = gateway.post("/api/auth/refresh", json={"refresh": session.refresh})
    assert first.status_code == 200, first.text
    new_refresh = first.json()["refresh"]
    assert new_refresh != session.refresh and first.json()["access"]
    assert gateway.get("/api/auth/me", headers={"Authorization": f"Bearer {first.json()['access']}"}).status_code == 200
    assert_problem(gateway.post("/api/auth/refresh", json={"refresh": session.refresh}), 401)


def test_reusing_a_spent_refresh_token_ends_the_whole_session(gateway, session):
    rotated = gateway.post("/api/auth/refresh", json={"refresh": session.refresh}).json()["refresh"]
    assert_problem(gateway.post("/api/auth/refresh", json={"refresh": session.refresh}), 401)  # the thief's try
    # ...and the legitimate holder's newer token is now refused too: the family is revoked.
    assert_problem(gateway.post("/api/auth/refresh", json={"refresh": rotated}), 401)


def test_a_new_login_is_a_separate_session(platform, gateway, session):
    other = platform.log_in(gateway, session.__class__(**{**session.__dict__}))
    gateway.post("/api/auth/refresh", json={"refresh": session.refresh})
    gateway.post("/api/auth/refresh", json={"refresh": session.refresh})  # reuse ends the first session only
    assert gateway.post("/api/auth/refresh", json={"refresh": other.refresh}).status_code == 200


def test_logout_revokes_the_refresh_and_the_access_token_at_once(gateway, session):
    response = gateway.post("/api/auth/logout", json={"refresh": session.refresh}, headers=session.auth())
    assert response.status_code == 204, response.text
    body = assert_problem(gateway.get("/api/auth/me", headers=session.auth()), 401)
    assert "revoked" in body["detail"]
    assert_problem(gateway.post("/api/auth/refresh", json={"refresh": session.refresh}), 401)


def test_logout_needs_a_token_and_the_callers_own_refresh_token(platform, gateway, session):
    assert_problem(gateway.post("/api/auth/logout", json={"refresh": session.refresh}), 401)
    stranger = platform.log_in(gateway, platform.register(gateway))
    response = gateway.post("/api/auth/logout", json={"refresh": stranger.refresh}, headers=session.auth())
    assert_problem(response, 400, field="refresh")
    assert gateway.post("/api/auth/refresh", json={"refresh": stranger.refresh}).status_code == 200


def test_password_change_revokes_old_tokens_and_takes_the_new_password(platform, gateway, session):
    new_password = "another long passphrase 99"
    other_session = platform.log_in(gateway, session.__class__(**{**session.__dict__}))
    after_the_second_it_was_issued(other_session.access)
    response = gateway.post("/api/auth/password/change", headers=session.auth(),
                            json={"old_password": session.password, "new_password": new_password})
    assert response.status_code == 204, response.text
    assert_problem(gateway.get("/api/auth/me", headers=session.auth()), 401)
    assert_problem(gateway.get("/api/auth/me", headers=other_session.auth()), 401)  # every session ends
    assert_problem(gateway.post("/api/auth/refresh", json={"refresh": session.refresh}), 401)
    assert_problem(gateway.post("/api/auth/refresh", json={"refresh": other_session.refresh}), 401)
    assert_problem(gateway.post("/api/auth/login", json={"email": session.email, "password": session.password}), 401)
    session.password = new_password
    platform.log_in(gateway, session)
    assert gateway.get("/api/auth/me", headers=session.auth()).status_code == 200
    assert gateway.post("/api/auth/refresh", json={"refresh": session.refresh}).status_code == 200


def test_password_change_refuses_a_wrong_old_password_or_a_weak_new_one(gateway, session):
    wrong = gateway.post("/api/auth/password/change", headers=session.auth(),
                         json={"old_password": "not it at all", "new_password": "another long passphrase 99"})
    assert_problem(wrong, 400, field="old_password")
    weak = gateway.post("/api/auth/password/change", headers=session.auth(),
                        json={"old_password": session.password, "new_password": "123"})
    assert_problem(weak, 400, field="new_password")
    assert gateway.get("/api/auth/me", headers=session.auth()).status_code == 200  # nothing changed


def _reset_token_for(platform, user_id: str) -> str:
    with platform.database("auth") as db:
        row = db.execute(
            "SELECT data FROM events_outboxevent WHERE event_type = 'auth.password_reset_requested' "
            "AND data->>'user_id' = %s ORDER BY occurred_at DESC LIMIT 1", [user_id]).fetchone()
    assert row is not None, "the reset request was not recorded in the outbox"
    return parse_qs(urlsplit(row[0]["reset_url"]).query)["token"][0]


def test_password_reset_answers_202_whether_or_not_the_email_is_known(platform, gateway, new_user):
    unknown = gateway.post("/api/auth/password/reset", json={"email": f"ghost-{uuid.uuid4().hex}@example.com"})
    known = gateway.post("/api/auth/password/reset", json={"email": new_user.email})
    assert unknown.status_code == known.status_code == 202
    assert unknown.content == known.content == b""


def test_password_reset_link_works_once(platform, gateway, session):
    assert gateway.post("/api/auth/password/reset", json={"email": session.email}).status_code == 202
    token = _reset_token_for(platform, session.id)
    new_password = "a brand new passphrase 7"
    after_the_second_it_was_issued(session.access)
    confirm = gateway.post("/api/auth/password/reset/confirm", json={"token": token, "new_password": new_password})
    assert confirm.status_code == 204, confirm.text
    again = gateway.post("/api/auth/password/reset/confirm", json={"token": token, "new_password": "yet another one 12345"})
    assert_problem(again, 400, field="token")
    assert_problem(gateway.get("/api/auth/me", headers=session.auth()), 401)  # old sessions end
    assert_problem(gateway.post("/api/auth/refresh", json={"refresh": session.refresh}), 401)
    session.password = new_password
    platform.log_in(gateway, session)
    assert gateway.get("/api/auth/me", headers=session.auth()).status_code == 200  # a new login just works
    assert gateway.post("/api/auth/refresh", json={"refresh": session.refresh}).status_code == 200


@pytest.mark.parametrize("token", ["", "garbage", "Zm9v:bar-baz", "x" * 500])
def test_password_reset_confirm_refuses_bad_tokens(gateway, token):
    response = gateway.post("/api/auth/password/reset/confirm", json={"token": token, "new_password": PASSWORD})
    assert_problem(response, 400, field="token")


def test_jwks_lists_public_keys_only(gateway, session):
    response = gateway.get("/api/auth/.well-known/jwks.json")
    assert response.status_code == 200
    keys = response.json()["keys"]
    assert keys and all(key["kty"] == "RSA" and key["alg"] == "RS256" and "d" not in key for key in keys)
    import jwt

    assert jwt.get_unverified_header(session.access)["kid"] in {key["kid"] for key in keys}


def test_login_is_throttled_per_account_and_address_with_retry_after(platform, gateway, new_user):
    # The e2e platform trusts 127.0.0.1 as a proxy (the default MARKETPLACE_TRUSTED_PROXIES), so nginx
    # takes each caller's address from X-Forwarded-For, as it would behind a load balancer.
    stranger = {"X-Forwarded-For": "203.0.113.77"}
    for _ in range(5):
        assert_problem(gateway.post("/api/auth/login", json={"email": new_user.email, "password": "wrong guess"},
                                    headers=stranger), 401)
    blocked = gateway.post("/api/auth/login", json={"email": new_user.email, "password": new_user.password},
                           headers=stranger)
    assert_problem(blocked, 429)
    assert int(blocked.headers["retry-after"]) > 0
    # The owner, from an address that has not failed, logs in: a stranger cannot lock them out.
    owner = gateway.post("/api/auth/login", json={"email": new_user.email, "password": new_user.password},
                         headers={"X-Forwarded-For": "198.51.100.23"})
    assert owner.status_code == 200, owner.text
    # Another account from the stranger's address is not affected by this pair's lock.
    other = platform.register(gateway)
    response = gateway.post("/api/auth/login", json={"email": other.email, "password": other.password},
                            headers=stranger)
    assert response.status_code == 200, response.text


def test_tokens_have_the_contract_claims(gateway, session):
    import jwt

    claims = jwt.decode(session.access, options={"verify_signature": False})
    assert claims["sub"] == session.id and claims["username"] == session.username
    assert claims["roles"] == ["buyer"] and claims["jti"] and claims["exp"] > time.time()
