"""POST /api/auth/register."""

import uuid

import pytest
from marketplace_libs.events.models import OutboxEvent

from accounts.models import User
from accounts.services import RESERVED_USERNAMES

from .conftest import AUTH, PASSWORD, problem

pytestmark = pytest.mark.django_db


def post(api, headers: dict | None = None, **fields):
    body = {"email": "alice@example.com", "username": "alice", "password": PASSWORD}
    body.update(fields)
    return api.post(f"{AUTH}/register", body, format="json", **(headers or {}))


def test_register_creates_a_buyer(api):
    response = post(api)

    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"id", "email", "username"}
    assert body["email"] == "alice@example.com"
    assert body["username"] == "alice"
    user = User.objects.get(pk=uuid.UUID(body["id"]))
    assert user.roles == ["buyer"]
    assert not user.is_staff and not user.is_seller and user.is_active
    assert user.check_password(PASSWORD)
    assert PASSWORD not in user.password  # stored hashed
    assert PASSWORD not in response.content.decode()


def test_register_publishes_user_registered(api):
    response = post(api, headers={"HTTP_X_REQUEST_ID": "signup-2"})
    user_id = response.json()["id"]

    event = OutboxEvent.objects.get(event_type="user.registered")
    assert event.correlation_id == "signup-2"
    assert event.aggregate_id == user_id
    assert event.producer == "auth"
    assert event.data["user_id"] == user_id
    assert event.data["email"] == "alice@example.com"
    assert event.data["username"] == "alice"
    assert event.data["date_joined"].endswith("Z")
    assert "password" not in event.data


def test_email_is_stored_lower_case(api):
    response = post(api, email="Alice.Smith@EXAMPLE.com")
    assert response.status_code == 201
    assert response.json()["email"] == "alice.smith@example.com"
    assert User.objects.get().email == "alice.smith@example.com"


def test_unicode_username_is_welcome(api):
    response = post(api, username="Zoë_Ñúñez")
    assert response.status_code == 201
    assert response.json()["username"] == "Zoë_Ñúñez"


@pytest.mark.parametrize("email", ["alice@example.com", "ALICE@example.com", " Alice@Example.com "])
def test_taken_email_is_400(api, email):
    assert post(api).status_code == 201
    body = problem(post(api, email=email, username="alice2"), 400)
    assert body["type"] == "urn:marketplace:problem:validation_error"
    assert "email" in body["errors"]
    assert "username" not in body["errors"]
    assert User.objects.count() == 1
    # The first registration's user.registered and its verification link; the refused one added nothing.
    assert OutboxEvent.objects.count() == 2


@pytest.mark.parametrize("username", ["alice", "ALICE", "Alice"])
def test_taken_username_is_400(api, username):
    assert post(api).status_code == 201
    body = problem(post(api, email="other@example.com", username=username), 400)
    assert list(body["errors"]) == ["username"]
    assert User.objects.count() == 1


# --- reserved usernames: /api/users/<username> must never shadow a route or pass for the platform ----

def test_the_routes_and_platform_names_are_reserved():
    assert {"me", "healthz", "readyz", "schema", "admin", "api", "static", "media", "metrics", "ws", "auth",
            "users", "gigs", "orders", "reviews", "chat", "notifications", "support", "staff", "root",
            "system"} <= RESERVED_USERNAMES


@pytest.mark.parametrize("username", sorted(RESERVED_USERNAMES) + [
    "ADMIN", "Staff", "HealthZ", "Users", "ME",
    "\uff41\uff44\uff4d\uff49\uff4e",  # fullwidth "admin"
    "\u017ftaff",  # long-s "staff"
])
def test_reserved_username_is_400(api, username):
    body = problem(post(api, username=username), 400)
    assert body["type"] == "urn:marketplace:problem:validation_error"
    assert list(body["errors"]) == ["username"]
    assert not User.objects.exists()
    assert not OutboxEvent.objects.exists()


@pytest.mark.parametrize("username", ["meadow", "admin_jane", "staffing", "gigsmith", "rooted"])
def test_names_that_merely_contain_a_reserved_one_are_fine(api, username):
    assert post(api, username=username).status_code == 201


def test_a_reserved_username_is_named_beside_other_problems(api):
    body = problem(post(api, username="Support", password="123"), 400)
    assert set(body["errors"]) == {"username", "password"}
    assert body["errors"]["username"] == ["This username is reserved."]


def test_taken_email_and_username_are_both_named(api):
    assert post(api).status_code == 201
    body = problem(post(api), 400)
    assert set(body["errors"]) == {"email", "username"}


@pytest.mark.parametrize("password, reason", [
    ("short-9", "too short"),
    ("password123", "too common"),
    ("8472619305124", "entirely numeric"),
    ("alice@example.com", "too similar"),
    ("", "blank"),
])
def test_weak_password_is_400(api, password, reason):
    body = problem(post(api, password=password), 400)
    assert list(body["errors"]) == ["password"]
    assert any(reason in message for message in body["errors"]["password"]), body["errors"]
    assert not User.objects.exists()
    assert not OutboxEvent.objects.exists()


def test_all_problems_are_reported_at_once(api):
    assert post(api).status_code == 201
    body = problem(post(api, email="ALICE@example.com", username="Alice", password="123"), 400)
    assert set(body["errors"]) == {"email", "username", "password"}
    assert len(body["errors"]["password"]) >= 2  # too short and numeric


def test_registered_user_can_log_in_and_is_a_buyer(api, register, login):
    account = register(email="bob@example.com", username="bobby")
    pair = login(account)
    me = api.get(f"{AUTH}/me", HTTP_AUTHORIZATION=f"Bearer {pair['access']}")
    assert me.status_code == 200
    assert me.json()["roles"] == ["buyer"]
    assert me.json()["id"] == account.id


def test_register_ignores_a_stale_token(api):
    response = post(api, headers={"HTTP_AUTHORIZATION": "Bearer stale-or-garbage"})
    assert response.status_code == 201


def test_register_cannot_make_a_seller_or_staff(api):
    # Refused by name rather than ignored (decision 25): the client learns nothing was granted.
    response = post(api, is_staff=True, is_seller=True, is_superuser=True, roles=["staff"])
    errors = problem(response, 400)["errors"]
    assert set(errors) == {"is_staff", "is_seller", "is_superuser", "roles"}
    assert not User.objects.exists()
    assert not OutboxEvent.objects.exists()
