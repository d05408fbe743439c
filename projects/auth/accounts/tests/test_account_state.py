"""Account state has one write path (accounts.services), whoever writes it: the admin, a management
command or the API. Each change is announced and, where it takes rights away, cuts the tokens off."""

import time
from datetime import timedelta

import jwt
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from marketplace_libs import revocation
from marketplace_libs.errors import InvalidInput
from marketplace_libs.testing import published

from accounts import services
from accounts.models import User

from .conftest import AUTH, NEW_PASSWORD, PASSWORD, bearer, problem

pytestmark = pytest.mark.django_db

ADMIN_USERS = "/admin/auth/accounts/user/"


@pytest.fixture
def staff_client():
    services.register_user(email="ops@example.com", username="ops_anna", password=PASSWORD, is_staff=True,
                           is_superuser=True)
    client = Client()
    client.post("/admin/auth/login/", {"username": "ops@example.com", "password": PASSWORD, "next": "/admin/auth/"})
    return client


def me(api, access: str):
    return api.get(f"{AUTH}/me", **bearer(access))


def refresh(api, raw: str):
    return api.post(f"{AUTH}/refresh", {"refresh": raw}, format="json")


def log_in(api, account, password: str | None = None):
    return api.post(f"{AUTH}/login", {"email": account.email, "password": password or account.password},
                    format="json")


def wait_for_the_next_second():
    # JWT iat is whole seconds and a deactivation refuses every token of its own second: a token
    # that must pass after a reactivation is issued in a later second.
    time.sleep(1.05 - time.time() % 1)


def assert_shut_out(api, account, pair):
    access = jwt.decode(pair["access"], options={"verify_signature": False})
    # The gateway and every service read this shared cut-off, not the auth database.
    assert revocation.is_revoked(jti=access["jti"], user_id=account.id, issued_at=access["iat"])
    assert problem(me(api, pair["access"]), 401)["type"].endswith("token_revoked")
    problem(refresh(api, pair["refresh"]), 401)
    body = problem(log_in(api, account), 401)
    assert body["detail"] == "The email or password is wrong."  # like wrong credentials: nothing revealed


# --- deactivation and reactivation, through the admin ----------------------------------------------

def test_staff_deactivate_in_the_admin_the_tokens_are_refused_and_the_others_told(api, account, login,
                                                                                  staff_client):
    pair = login(account)
    assert me(api, pair["access"]).status_code == 200

    response = staff_client.post(ADMIN_USERS, {"action": "deactivate_accounts", "_selected_action": [account.id]})

    assert response.status_code == 302
    user = User.objects.get(pk=account.id)
    assert not user.is_active and user.tokens_valid_after == user.active_changed_at
    assert_shut_out(api, account, pair)
    [deactivation] = published("user.deactivated")
    assert deactivation["user_id"] == account.id and "ops_anna" in deactivation["reason"]


def test_a_second_deactivation_changes_nothing_and_says_nothing(account, staff_client):
    for _ in range(2):
        staff_client.post(ADMIN_USERS, {"action": "deactivate_accounts", "_selected_action": [account.id]})
    assert len(published("user.deactivated")) == 1


def test_reactivation_lets_the_user_log_in_but_old_tokens_stay_refused(api, account, login, staff_client):
    old = login(account)
    staff_client.post(ADMIN_USERS, {"action": "deactivate_accounts", "_selected_action": [account.id]})
    wait_for_the_next_second()

    staff_client.post(ADMIN_USERS, {"action": "reactivate_accounts", "_selected_action": [account.id]})

    assert User.objects.get(pk=account.id).is_active
    [reactivation] = published("user.reactivated")
    assert reactivation["user_id"] == account.id
    response = log_in(api, account)
    assert response.status_code == 200
    new = response.json()
    assert me(api, new["access"]).status_code == 200
    assert refresh(api, new["refresh"]).status_code == 200
    assert problem(me(api, old["access"]), 401)["type"].endswith("token_revoked")
    problem(refresh(api, old["refresh"]), 401)


def test_a_deactivation_never_moves_the_cut_off_back(account):
    user = User.objects.get(pk=account.id)
    ahead = user.date_joined + timedelta(days=3650)
    User.objects.filter(pk=account.id).update(tokens_valid_after=ahead)  # a cut-off already further on

    services.deactivate_account(user_id=account.id, reason="Spam")

    assert User.objects.get(pk=account.id).tokens_valid_after == ahead


def test_a_deactivation_needs_a_reason(account):
    with pytest.raises(InvalidInput):
        services.deactivate_account(user_id=account.id, reason="  ")
    assert User.objects.get(pk=account.id).is_active and published("user.deactivated") == []


# --- the fields that would bypass the service are read-only ------------------------------------------

def test_the_admin_cannot_write_active_seller_or_email(account, staff_client):
    url = f"{ADMIN_USERS}{account.id}/change/"
    page = staff_client.get(url).content.decode()
    for field in ("is_active", "is_seller", "email"):
        assert f'name="{field}"' not in page

    response = staff_client.post(url, {"username": "alice", "email": "mallory@example.com", "is_active": "",
                                       "is_seller": "on", "is_staff": "", "is_superuser": ""})

    assert response.status_code == 302, response.content.decode()[:2000]
    user = User.objects.get(pk=account.id)
    assert user.is_active and not user.is_seller and user.email == "alice@example.com"
    assert published("user.deactivated") == []


def test_a_password_set_by_staff_ends_every_session(api, account, login, staff_client):
    pair = login(account)
    wait_for_the_next_second()

    response = staff_client.post(f"{ADMIN_USERS}{account.id}/password/",
                                 {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"})

    assert response.status_code == 302, response.content.decode()[:2000]
    assert problem(me(api, pair["access"]), 401)["type"].endswith("token_revoked")
    problem(refresh(api, pair["refresh"]), 401)
    assert log_in(api, account, NEW_PASSWORD).status_code == 200


# --- every account is announced, whoever makes it -------------------------------------------------

def test_an_account_added_in_the_admin_is_announced(staff_client):
    response = staff_client.post(f"{ADMIN_USERS}add/", {"email": "New.Person@Example.com", "username": "new_person",
                                                        "password1": PASSWORD, "password2": PASSWORD,
                                                        "usable_password": "true"})

    assert response.status_code == 302, response.content.decode()[:2000]
    user = User.objects.get(username="new_person")
    assert user.email == "new.person@example.com" and not user.is_staff
    assert response["Location"].endswith(f"{user.pk}/change/")
    [registration] = [data for data in published("user.registered") if data["user_id"] == str(user.pk)]
    assert registration["email"] == "new.person@example.com"


def test_the_admin_add_form_refuses_what_registration_refuses(account, staff_client):
    response = staff_client.post(f"{ADMIN_USERS}add/", {"email": "x@example.com", "username": "healthz",
                                                        "password1": PASSWORD, "password2": PASSWORD,
                                                        "usable_password": "true"})

    assert response.status_code == 200
    assert "This username is reserved." in response.content.decode()
    assert not User.objects.filter(username="healthz").exists()


def test_createsuperuser_goes_through_registration_and_is_announced(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", PASSWORD)

    call_command("createsuperuser", "--noinput", "--email", "Root@Example.com", "--username", "support")

    user = User.objects.get(username="support")  # staff may take the platform's own names
    assert user.is_staff and user.is_superuser and user.email == "root@example.com"
    [registration] = published("user.registered")
    assert registration["user_id"] == str(user.pk) and registration["username"] == "support"


def test_createsuperuser_refuses_a_weak_password_plainly(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "123")

    with pytest.raises(CommandError, match="password"):
        call_command("createsuperuser", "--noinput", "--email", "root@example.com", "--username", "rooty")

    assert not User.objects.exists() and published("user.registered") == []


def test_taking_staff_rights_away_ends_the_staff_token_everywhere(api, account, login, staff_client):
    User.objects.filter(pk=account.id).update(is_staff=True)
    pair = login(account)
    assert "staff" in jwt.decode(pair["access"], options={"verify_signature": False})["roles"]

    response = staff_client.post(f"{ADMIN_USERS}{account.id}/change/", {
        "username": "alice", "is_staff": "", "is_superuser": "",
        "initial-is_staff": "on"})

    assert response.status_code == 302, response.content.decode()[:2000]
    assert not User.objects.get(pk=account.id).is_staff
    assert problem(me(api, pair["access"]), 401)["type"].endswith("token_revoked")


def test_giving_staff_rights_ends_nothing(api, account, login, staff_client):
    pair = login(account)

    staff_client.post(f"{ADMIN_USERS}{account.id}/change/", {"username": "alice", "is_staff": "on",
                                                              "is_superuser": ""})

    assert User.objects.get(pk=account.id).is_staff
    assert me(api, pair["access"]).status_code == 200
