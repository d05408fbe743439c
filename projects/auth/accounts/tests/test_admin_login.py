"""The admin's sign-in form goes through the same failed-login throttle as the API's login."""

import pytest
from django.test import Client

from accounts.models import User

from .conftest import AUTH, PASSWORD

pytestmark = pytest.mark.django_db

LOGIN = "/admin/auth/login/"


@pytest.fixture(autouse=True)
def limits(login_limits):
    return login_limits


@pytest.fixture
def staff():
    return User.objects.create_user("ops@example.com", "ops_anna", PASSWORD, is_staff=True)


def sign_in(email: str, password: str, address: str = "203.0.113.10"):
    return Client().post(LOGIN, {"username": email, "password": password, "next": "/admin/auth/"},
                         HTTP_X_REAL_IP=address)


def test_guessing_a_staff_password_is_stopped_after_five_failures(staff):
    for _ in range(5):
        assert sign_in(staff.email, "wrong-guess-123").status_code == 200  # the form again, with its error

    refused = sign_in(staff.email, PASSWORD)

    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 15 * 60 + 1
    assert "sessionid" not in "".join(refused.cookies)


def test_the_staff_member_still_signs_in_from_an_address_that_has_not_failed(staff):
    for _ in range(5):
        sign_in(staff.email, "wrong-guess-123")
    assert sign_in(staff.email, PASSWORD, address="198.51.100.7").status_code == 302


def test_admin_and_api_failures_share_one_count(staff, api):
    for _ in range(3):
        sign_in(staff.email, "wrong-guess-123")
    for _ in range(2):
        api.post(f"{AUTH}/login", {"email": staff.email, "password": "wrong-guess-123"}, format="json",
                 HTTP_X_REAL_IP="203.0.113.10")
    assert sign_in("OPS@example.com", PASSWORD).status_code == 429


def test_a_right_sign_in_clears_the_count(staff):
    for _ in range(4):
        sign_in(staff.email, "wrong-guess-123")
    assert sign_in(staff.email, PASSWORD).status_code == 302
    for _ in range(4):
        sign_in(staff.email, "wrong-guess-123")
    assert sign_in(staff.email, PASSWORD).status_code == 302
