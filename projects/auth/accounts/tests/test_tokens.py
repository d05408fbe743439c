"""Refresh rotation, reuse detection, logout, password change, roles, JWKS and key rotation."""

import dataclasses
from contextlib import contextmanager
from datetime import timedelta

import jwt
import pytest
import rest_framework_simplejwt.tokens as simplejwt_tokens
from marketplace_libs import tokens
from marketplace_libs.tokens import get_verifier

from accounts import keys
from accounts.models import RevokedTokenFamily, User

from .conftest import AUTH, NEW_PASSWORD, PASSWORD, bearer, problem

pytestmark = pytest.mark.django_db


def refresh(api, raw: str):
    return api.post(f"{AUTH}/refresh", {"refresh": raw}, format="json")


def me(api, access: str):
    return api.get(f"{AUTH}/me", **bearer(access))


def claims(raw: str) -> dict:
    return jwt.decode(raw, options={"verify_signature": False})


@pytest.fixture
def issued_earlier(monkeypatch):
    """Tokens issued inside ``with issued_earlier(seconds):`` carry times that many seconds ago."""
    real = simplejwt_tokens.aware_utcnow

    @contextmanager
    def shift(seconds: int):
        monkeypatch.setattr(simplejwt_tokens, "aware_utcnow", lambda: real() - timedelta(seconds=seconds))
        try:
            yield
        finally:
            monkeypatch.setattr(simplejwt_tokens, "aware_utcnow", real)

    return shift


# --- refresh rotation ----------------------------------------------------------------------------

def test_refresh_rotates_the_pair(api, account, login):
    pair = login(account)

    response = refresh(api, pair["refresh"])

    assert response.status_code == 200
    new = response.json()
    assert {"access", "refresh"} <= set(new)
    assert new["refresh"] != pair["refresh"] and new["access"] != pair["access"]
    assert claims(new["refresh"])["fam"] == claims(pair["refresh"])["fam"]  # same session
    assert me(api, new["access"]).status_code == 200
    assert me(api, pair["access"]).status_code == 200  # the old access token lives out its 15 minutes


def test_a_spent_refresh_token_is_401(api, account, login):
    pair = login(account)
    assert refresh(api, pair["refresh"]).status_code == 200
    body = problem(refresh(api, pair["refresh"]), 401)
    assert "already used" in body["detail"]


def test_reuse_of_a_spent_refresh_token_ends_the_session(api, account, login):
    pair = login(account)
    second = refresh(api, pair["refresh"]).json()

    problem(refresh(api, pair["refresh"]), 401)  # someone replays the spent token

    # ...so the legitimate holder's newer refresh token is refused too.
    problem(refresh(api, second["refresh"]), 401)
    family = RevokedTokenFamily.objects.get(family=claims(pair["refresh"])["fam"])
    assert family.reason == "reuse"
    assert str(family.user_id) == account.id


def test_reuse_revokes_the_access_tokens_already_issued_from_the_session(api, account, login):
    pair = login(account)
    second = refresh(api, pair["refresh"]).json()

    problem(refresh(api, pair["refresh"]), 401)  # the thief's copy and the holder's token both die

    assert problem(me(api, pair["access"]), 401)["type"].endswith("token_revoked")
    assert problem(me(api, second["access"]), 401)["type"].endswith("token_revoked")


def test_access_tokens_name_their_session(account, login):
    pair = login(account)
    assert claims(pair["access"])["fam"] == claims(pair["refresh"])["fam"]


def test_reuse_in_one_session_leaves_other_sessions_alone(api, account, login):
    phone, laptop = login(account), login(account)
    refresh(api, phone["refresh"])
    refresh(api, phone["refresh"])  # reuse: the phone's session ends

    assert refresh(api, laptop["refresh"]).status_code == 200
    assert me(api, laptop["access"]).status_code == 200


def test_a_long_rotation_chain_works(api, account, login):
    current = login(account)["refresh"]
    for _ in range(5):
        response = refresh(api, current)
        assert response.status_code == 200
        current = response.json()["refresh"]


@pytest.mark.parametrize("raw, status", [("", 400), ("garbage", 401), ("a.b.c", 401)])
def test_garbage_refresh_token(api, raw, status):
    problem(refresh(api, raw), status)


def test_an_access_token_is_not_a_refresh_token(api, account, login):
    problem(refresh(api, login(account)["access"]), 401)


def test_a_refresh_token_is_not_an_access_token(api, account, login):
    problem(me(api, login(account)["refresh"]), 401)


def test_refresh_of_a_deactivated_account_is_refused(api, account, login):
    pair = login(account)
    User.objects.filter(pk=account.id).update(is_active=False)
    problem(refresh(api, pair["refresh"]), 401)


# --- logout ----------------------------------------------------------------------------------------

def test_logout_revokes_the_refresh_and_the_access_token(api, account, login):
    pair = login(account)
    assert me(api, pair["access"]).status_code == 200

    response = api.post(f"{AUTH}/logout", {"refresh": pair["refresh"]}, format="json", **bearer(pair["access"]))

    assert response.status_code == 204
    body = problem(me(api, pair["access"]), 401)
    assert body["type"].endswith("token_revoked")
    problem(refresh(api, pair["refresh"]), 401)
    assert RevokedTokenFamily.objects.get(family=claims(pair["refresh"])["fam"]).reason == "logout"


def test_logout_ends_only_that_session(api, account, login):
    phone, laptop = login(account), login(account)
    api.post(f"{AUTH}/logout", {"refresh": phone["refresh"]}, format="json", **bearer(phone["access"]))

    assert me(api, laptop["access"]).status_code == 200
    assert refresh(api, laptop["refresh"]).status_code == 200


def test_logout_revokes_refresh_tokens_rotated_from_the_session(api, account, login):
    pair = login(account)
    rotated = refresh(api, pair["refresh"]).json()
    api.post(f"{AUTH}/logout", {"refresh": rotated["refresh"]}, format="json", **bearer(rotated["access"]))
    problem(refresh(api, rotated["refresh"]), 401)


def test_logout_needs_an_access_token(api, account, login):
    pair = login(account)
    response = api.post(f"{AUTH}/logout", {"refresh": pair["refresh"]}, format="json")
    problem(response, 401)
    assert refresh(api, pair["refresh"]).status_code == 200  # nothing was revoked


def test_logout_with_someone_else_s_refresh_token_is_400(api, account, register, login):
    mine = login(account)
    theirs = login(register(email="eve@example.com", username="eve"))

    response = api.post(f"{AUTH}/logout", {"refresh": theirs["refresh"]}, format="json", **bearer(mine["access"]))

    assert "refresh" in problem(response, 400)["errors"]
    assert refresh(api, theirs["refresh"]).status_code == 200
    assert me(api, mine["access"]).status_code == 200


def test_logout_with_a_garbage_refresh_token_is_400(api, account, login):
    pair = login(account)
    response = api.post(f"{AUTH}/logout", {"refresh": "garbage"}, format="json", **bearer(pair["access"]))
    assert "refresh" in problem(response, 400)["errors"]


# --- password change -------------------------------------------------------------------------------

def change_password(api, access: str, old: str = PASSWORD, new: str = NEW_PASSWORD):
    return api.post(f"{AUTH}/password/change", {"old_password": old, "new_password": new}, format="json",
                    **bearer(access))


def test_password_change_revokes_old_tokens(api, account, login, issued_earlier):
    with issued_earlier(seconds=5):
        other_device = login(account)
    pair = login(account)

    assert change_password(api, pair["access"]).status_code == 204

    assert problem(me(api, pair["access"]), 401)["type"].endswith("token_revoked")
    assert problem(me(api, other_device["access"]), 401)["type"].endswith("token_revoked")
    problem(refresh(api, pair["refresh"]), 401)
    problem(refresh(api, other_device["refresh"]), 401)


def test_password_change_revokes_refresh_tokens_of_the_same_second(api, account, login):
    """Refresh tokens are ended exactly, however close to the change they were issued."""
    other_device, pair = login(account), login(account)
    assert change_password(api, pair["access"]).status_code == 204
    problem(refresh(api, other_device["refresh"]), 401)
    problem(refresh(api, pair["refresh"]), 401)


def test_after_a_password_change_the_new_password_works_at_once(api, account, login):
    pair = login(account)
    assert change_password(api, pair["access"]).status_code == 204

    problem(api.post(f"{AUTH}/login", {"email": account.email, "password": PASSWORD}, format="json"), 401)
    fresh = login(account, password=NEW_PASSWORD)
    assert me(api, fresh["access"]).status_code == 200
    assert refresh(api, fresh["refresh"]).status_code == 200


def test_password_change_with_the_wrong_old_password_is_400(api, account, login):
    pair = login(account)
    response = change_password(api, pair["access"], old="not-my-password")
    assert list(problem(response, 400)["errors"]) == ["old_password"]
    assert User.objects.get(pk=account.id).check_password(PASSWORD)
    assert me(api, pair["access"]).status_code == 200


def test_guessing_the_current_password_is_stopped_after_five_wrong_ones(api, account, login, settings):
    settings.PASSWORD_CHANGE_FAILURES = 5
    pair = login(account)
    for _ in range(5):
        problem(change_password(api, pair["access"], old="not-my-password"), 400)

    refused = change_password(api, pair["access"])  # even the right one: guessing gains nothing

    assert problem(refused, 429)["type"] == "urn:marketplace:problem:rate_limited"
    assert int(refused["Retry-After"]) >= 1
    assert User.objects.get(pk=account.id).check_password(PASSWORD)


def test_a_password_change_clears_the_wrong_guesses(api, account, login, settings):
    settings.PASSWORD_CHANGE_FAILURES = 5
    pair = login(account)
    for _ in range(4):
        problem(change_password(api, pair["access"], old="not-my-password"), 400)
    assert change_password(api, pair["access"]).status_code == 204
    second = login(account, password=NEW_PASSWORD)
    for _ in range(4):
        problem(change_password(api, second["access"], old="not-my-password"), 400)
    assert change_password(api, second["access"], old=NEW_PASSWORD, new=PASSWORD).status_code == 204


@pytest.mark.parametrize("weak", ["short", "password123", "93847561029384", "alice@example.com"])
def test_password_change_to_a_weak_password_is_400(api, account, login, weak):
    pair = login(account)
    response = change_password(api, pair["access"], new=weak)
    assert list(problem(response, 400)["errors"]) == ["new_password"]
    assert User.objects.get(pk=account.id).check_password(PASSWORD)
    assert me(api, pair["access"]).status_code == 200


def test_password_change_needs_a_token(api):
    problem(api.post(f"{AUTH}/password/change", {"old_password": PASSWORD, "new_password": NEW_PASSWORD},
                     format="json"), 401)


# --- roles ------------------------------------------------------------------------------------------

def test_roles_follow_the_account_on_the_next_refresh(api, account, login):
    pair = login(account)
    assert get_verifier().verify(pair["access"]).roles == ("buyer",)

    User.objects.filter(pk=account.id).update(is_seller=True)  # what the seller-granted event does

    assert get_verifier().verify(pair["access"]).roles == ("buyer",)  # a token says what was true
    new = refresh(api, pair["refresh"]).json()
    assert get_verifier().verify(new["access"]).roles == ("buyer", "seller")
    assert claims(new["refresh"])["roles"] == ["buyer", "seller"]
    assert me(api, new["access"]).json()["roles"] == ["buyer", "seller"]


def test_staff_role(api, account, login):
    User.objects.filter(pk=account.id).update(is_staff=True)
    assert get_verifier().verify(login(account)["access"]).roles == ("buyer", "staff")


# --- JWKS and keys ---------------------------------------------------------------------------------

def jwks_kids(api) -> set[str]:
    response = api.get(f"{AUTH}/.well-known/jwks.json")
    assert response.status_code == 200
    return {key["kid"] for key in response.json()["keys"]}


def test_jwks_publishes_the_signing_key(api, account, login):
    response = api.get(f"{AUTH}/.well-known/jwks.json")
    assert response.status_code == 200
    assert "max-age" in response["Cache-Control"]
    keys_published = response.json()["keys"]
    assert keys_published
    for key in keys_published:
        assert key["kty"] == "RSA" and key["alg"] == "RS256" and key["use"] == "sig"
        assert not {"d", "p", "q", "dp", "dq", "qi"} & set(key)  # public halves only

    pair = login(account)
    kids = {key["kid"] for key in keys_published}
    assert jwt.get_unverified_header(pair["access"])["kid"] in kids
    assert jwt.get_unverified_header(pair["refresh"])["kid"] in kids


def test_jwks_verifies_the_tokens_like_any_other_service_would(api, account, login):
    """A verifier built from the published JWKS alone (as every other service has) accepts the token."""
    document = api.get(f"{AUTH}/.well-known/jwks.json").json()
    verifier = tokens.TokenVerifier(tokens.JWKSKeySource(lambda: document))
    assert verifier.verify(login(account)["access"]).user_id == account.id


def test_jwks_is_public_and_get_only(api):
    assert api.get(f"{AUTH}/.well-known/jwks.json", HTTP_AUTHORIZATION="Bearer garbage").status_code == 200
    problem(api.post(f"{AUTH}/.well-known/jwks.json"), 405)


@pytest.fixture
def private_key_dir(settings, tmp_path):
    """Development keys under a temporary var/, so rotating them leaves the real var/keys/auth alone."""
    settings.MARKETPLACE_CONFIG = dataclasses.replace(settings.MARKETPLACE_CONFIG, var_dir=tmp_path)
    keys.reset_key_ring()
    tokens.reset_verifier()
    yield tmp_path / "keys" / "auth"
    keys.reset_key_ring()
    tokens.reset_verifier()


def test_key_rotation_keeps_old_tokens_valid(api, account, login, private_key_dir, monkeypatch):
    monkeypatch.delenv("MARKETPLACE_JWT_PRIVATE_KEY", raising=False)
    before = login(account)
    old_kid = jwt.get_unverified_header(before["access"])["kid"]
    assert (private_key_dir / "current.pem").is_file()
    assert jwks_kids(api) == {old_kid}

    ring = keys.rotate_development_keys()
    tokens.reset_verifier()  # what a restart of the service does

    assert ring.previous.kid == old_kid and ring.current.kid != old_kid
    assert jwks_kids(api) == {old_kid, ring.current.kid}
    # Tokens signed before the rotation still work...
    assert me(api, before["access"]).status_code == 200
    rotated = refresh(api, before["refresh"])
    assert rotated.status_code == 200
    # ...and new ones are signed with the new key.
    assert jwt.get_unverified_header(rotated.json()["access"])["kid"] == ring.current.kid
    after = login(account)
    assert jwt.get_unverified_header(after["access"])["kid"] == ring.current.kid
    assert me(api, after["access"]).status_code == 200

    # A second rotation retires the first key: its tokens stop working.
    keys.rotate_development_keys()
    tokens.reset_verifier()
    assert old_kid not in jwks_kids(api)
    problem(me(api, before["access"]), 401)
    assert me(api, after["access"]).status_code == 200


def test_development_keys_are_private_files(private_key_dir, monkeypatch):
    monkeypatch.delenv("MARKETPLACE_JWT_PRIVATE_KEY", raising=False)
    ring = keys.load_key_ring()
    assert ring.previous is None
    assert (private_key_dir / "current.pem").stat().st_mode & 0o077 == 0
    keys.reset_key_ring()
    assert keys.load_key_ring().current.kid == ring.current.kid  # the same key, read back
