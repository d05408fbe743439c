"""Bad input to every auth endpoint: always 400 problem+json naming the field, never a 5xx, nothing created."""

import json

import pytest
from marketplace_libs.events.models import OutboxEvent

from accounts.models import PasswordResetRequest, User

from .conftest import AUTH, PASSWORD, bearer, problem

pytestmark = pytest.mark.django_db

VALID_REGISTRATION = {"email": "new@example.com", "username": "newcomer", "password": PASSWORD}
SQLISH = ["' OR '1'='1", "'; DROP TABLE accounts_user; --", "\" OR 1=1 --", "admin'--", "1; SELECT pg_sleep(5)"]
WRONG_TYPES = [123, 12.5, True, None, ["a@example.com"], {"value": "a@example.com"}]


def register(api, body, **headers):
    return api.post(f"{AUTH}/register", body, format="json", **headers)


def assert_nothing_created():
    assert not User.objects.filter(email__iexact="new@example.com").exists()
    assert not OutboxEvent.objects.filter(event_type="user.registered").exists()


@pytest.fixture
def existing_count(account):
    return User.objects.count()


# --- register ------------------------------------------------------------------------------

@pytest.mark.parametrize("field", ["email", "username", "password"])
@pytest.mark.parametrize("value", WRONG_TYPES, ids=lambda value: type(value).__name__)
def test_register_wrong_types(api, field, value):
    body = problem(register(api, {**VALID_REGISTRATION, field: value}), 400)
    assert field in body["errors"]
    assert_nothing_created()


@pytest.mark.parametrize("field", ["email", "username", "password"])
def test_register_missing_field(api, field):
    body = {k: v for k, v in VALID_REGISTRATION.items() if k != field}
    errors = problem(register(api, body), 400)["errors"]
    assert list(errors) == [field]
    assert "required" in errors[field][0]
    assert_nothing_created()


def test_register_empty_body(api):
    errors = problem(register(api, {}), 400)["errors"]
    assert set(errors) == {"email", "username", "password"}


@pytest.mark.parametrize("raw", ["[]", '"a string"', "null", "42"])
def test_register_body_that_is_not_an_object(api, raw):
    response = api.post(f"{AUTH}/register", raw, content_type="application/json")
    body = problem(response, 400)
    assert body["errors"]
    assert_nothing_created()


@pytest.mark.parametrize("raw", ['{"email": ', "{'email': 'a'}", "\x00\x01", '{"email": "a@b.c",}'])
def test_register_malformed_json(api, raw):
    problem(api.post(f"{AUTH}/register", raw, content_type="application/json"), 400)
    assert_nothing_created()


def test_register_form_encoding_is_refused(api):
    response = api.post(f"{AUTH}/register", VALID_REGISTRATION)  # multipart form, not JSON
    assert response.status_code == 415
    problem(response, 415)
    assert_nothing_created()


@pytest.mark.parametrize("field, value", [
    ("email", "x" * 250 + "@example.com"),
    ("email", "a@" + "b" * 300 + ".com"),
    ("username", "u" * 31),
    ("username", "u" * 10_000),
    ("password", "p" * 129),
    ("password", "p" * 100_000),
])
def test_register_very_long_strings(api, field, value):
    body = problem(register(api, {**VALID_REGISTRATION, field: value}), 400)
    assert list(body["errors"]) == [field]
    assert_nothing_created()


@pytest.mark.parametrize("field, value", [
    ("email", "not-an-email"),
    ("email", "@example.com"),
    ("email", "new@"),
    ("email", "new@example.com\nBcc: victim@example.com"),
    ("username", "ab"),
    ("username", "has space"),
    ("username", "semi;colon"),
    ("username", "<script>"),
    ("username", "😀😀😀"),
    ("username", "nul\x00byte"),
    ("username", ""),
    ("username", "   "),
    ("password", "nul\x00byte-password-long"),
])
def test_register_bad_values(api, field, value):
    body = problem(register(api, {**VALID_REGISTRATION, field: value}), 400)
    assert field in body["errors"]
    assert_nothing_created()


@pytest.mark.parametrize("value", SQLISH)
@pytest.mark.parametrize("field", ["email", "username"])
def test_register_sql_ish_strings(api, field, value):
    body = problem(register(api, {**VALID_REGISTRATION, field: value}), 400)
    assert list(body["errors"]) == [field]
    assert_nothing_created()


def test_register_unicode_email_is_refused_cleanly(api):
    body = problem(register(api, {**VALID_REGISTRATION, "email": "jöhn😀@exämple.com"}), 400)
    assert "email" in body["errors"]


def test_body_over_the_upload_limit_is_413(api):
    response = api.post(f"{AUTH}/register", json.dumps({**VALID_REGISTRATION, "pad": "x" * (1024 * 1024)}),
                        content_type="application/json")
    problem(response, 413)
    assert_nothing_created()


# --- login and the token endpoints ------------------------------------------------------------------

@pytest.mark.parametrize("field", ["email", "password"])
@pytest.mark.parametrize("value", WRONG_TYPES, ids=lambda value: type(value).__name__)
def test_login_wrong_types(api, account, field, value):
    body = problem(api.post(f"{AUTH}/login", {"email": account.email, "password": PASSWORD, field: value},
                            format="json"), 400)
    assert field in body["errors"]


@pytest.mark.parametrize("value", SQLISH)
def test_login_sql_ish_email_is_just_a_wrong_login(api, existing_count, value):
    problem(api.post(f"{AUTH}/login", {"email": value, "password": value}, format="json"), 401)
    assert User.objects.count() == existing_count


@pytest.mark.parametrize("field, value", [("email", "e" * 255), ("password", "p" * 129)])
def test_login_very_long_strings(api, account, field, value):
    body = problem(api.post(f"{AUTH}/login", {"email": account.email, "password": PASSWORD, field: value},
                            format="json"), 400)
    assert list(body["errors"]) == [field]


@pytest.mark.parametrize("value", [*WRONG_TYPES, "r" * 5000, ""], ids=lambda value: repr(value)[:12])
def test_refresh_bad_values(api, value):
    body = problem(api.post(f"{AUTH}/refresh", {"refresh": value}, format="json"), 400)
    assert "refresh" in body["errors"]


def test_logout_missing_refresh(api, account, login):
    pair = login(account)
    body = problem(api.post(f"{AUTH}/logout", {}, format="json", **bearer(pair["access"])), 400)
    assert list(body["errors"]) == ["refresh"]


@pytest.mark.parametrize("field", ["old_password", "new_password"])
@pytest.mark.parametrize("value", [None, 42, ["x"], "p" * 129], ids=lambda value: repr(value)[:12])
def test_password_change_bad_values(api, account, login, field, value):
    pair = login(account)
    body = {"old_password": PASSWORD, "new_password": "violet-harbor-lantern-77", field: value}
    errors = problem(api.post(f"{AUTH}/password/change", body, format="json", **bearer(pair["access"])),
                     400)["errors"]
    assert field in errors
    assert User.objects.get(pk=account.id).check_password(PASSWORD)


@pytest.mark.parametrize("value", [*WRONG_TYPES, "not-an-email", *SQLISH, "e" * 300 + "@example.com"],
                         ids=lambda value: repr(value)[:12])
def test_password_reset_bad_emails(api, account, value):
    body = problem(api.post(f"{AUTH}/password/reset", {"email": value}, format="json"), 400)
    assert list(body["errors"]) == ["email"]
    assert not PasswordResetRequest.objects.exists()


@pytest.mark.parametrize("field, value", [
    ("token", None), ("token", 42), ("token", "t" * 513), ("token", ["a", "b"]),
    ("new_password", None), ("new_password", {"a": 1}), ("new_password", "p" * 129),
])
def test_password_reset_confirm_bad_values(api, account, field, value):
    body = {"token": "abc:def", "new_password": "violet-harbor-lantern-77", field: value}
    errors = problem(api.post(f"{AUTH}/password/reset/confirm", body, format="json"), 400)["errors"]
    assert field in errors
    assert User.objects.get(pk=account.id).check_password(PASSWORD)


@pytest.mark.parametrize("path", ["register", "login", "refresh", "password/reset", "password/reset/confirm"])
def test_public_endpoints_refuse_get(api, path):
    problem(api.get(f"{AUTH}/{path}"), 405)


# --- unknown fields (decision 25) ----------------------------------------------------------------

def test_register_refuses_an_unknown_field(api):
    errors = problem(register(api, {**VALID_REGISTRATION, "is_staff": True}), 400)["errors"]
    assert list(errors) == ["is_staff"]
    assert_nothing_created()


def test_login_refuses_a_misspelt_field(api, account):
    body = {"email": account.email, "password": PASSWORD, "pasword": PASSWORD}
    errors = problem(api.post(f"{AUTH}/login", body, format="json"), 400)["errors"]
    assert list(errors) == ["pasword"]


def test_refresh_refuses_an_unknown_field(api, account, login):
    pair = login(account)
    body = {"refresh": pair["refresh"], "access": pair["access"]}
    errors = problem(api.post(f"{AUTH}/refresh", body, format="json"), 400)["errors"]
    assert list(errors) == ["access"]


def test_logout_refuses_an_unknown_field(api, account, login):
    pair = login(account)
    body = {"refresh": pair["refresh"], "everywhere": True}
    errors = problem(api.post(f"{AUTH}/logout", body, format="json", **bearer(pair["access"])), 400)["errors"]
    assert list(errors) == ["everywhere"]
    # Refused, so nothing was revoked: the refresh token still rotates.
    assert api.post(f"{AUTH}/refresh", {"refresh": pair["refresh"]}, format="json").status_code == 200


def test_password_change_refuses_an_unknown_field(api, account, login):
    pair = login(account)
    body = {"old_password": PASSWORD, "new_password": "violet-harbor-lantern-77", "confirm": "x"}
    errors = problem(api.post(f"{AUTH}/password/change", body, format="json", **bearer(pair["access"])),
                     400)["errors"]
    assert list(errors) == ["confirm"]
    assert User.objects.get(pk=account.id).check_password(PASSWORD)


def test_password_reset_refuses_an_unknown_field(api, account):
    body = {"email": account.email, "redirect_url": "https://evil.example.com"}
    errors = problem(api.post(f"{AUTH}/password/reset", body, format="json"), 400)["errors"]
    assert list(errors) == ["redirect_url"]
    assert not PasswordResetRequest.objects.exists()


def test_password_reset_confirm_refuses_an_unknown_field(api, account):
    body = {"token": "abc:def", "new_password": "violet-harbor-lantern-77", "email": account.email}
    errors = problem(api.post(f"{AUTH}/password/reset/confirm", body, format="json"), 400)["errors"]
    assert list(errors) == ["email"]
    assert User.objects.get(pk=account.id).check_password(PASSWORD)
