"""Fixtures for the auth service's tests: real tokens from the service itself, never the test key."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass

import pytest
from rest_framework.test import APIClient

from marketplace_libs import tokens

PASSWORD = "plum-orbit-cascade-42"
NEW_PASSWORD = "violet-harbor-lantern-77"
AUTH = "/api/auth"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # The production hasher takes a good part of a second per hash on purpose; tests hash hundreds.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_verifier():
    """Each test verifies with a verifier built from the service's current key ring."""
    tokens.reset_verifier()
    yield
    tokens.reset_verifier()


@dataclass
class Account:
    id: str
    email: str
    username: str
    password: str


def problem(response, status: int) -> dict:
    """The problem+json body of ``response``, after checking its shape."""
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = json.loads(response.content)
    assert {"type", "title", "status", "detail", "request_id"} <= set(body)
    assert body["status"] == status
    assert body["request_id"] == response["X-Request-ID"]
    return body


def bearer(access: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {access}"}


@pytest.fixture
def login_limits(settings):
    """The login throttle's default limits, whatever the environment says; a test may lower one."""
    settings.LOGIN_FAILURES_PER_ACCOUNT_ADDRESS = 5
    settings.LOGIN_FAILURES_PER_ADDRESS = 20
    settings.LOGIN_FAILURES_PER_ACCOUNT = 50
    settings.LOGIN_FAILURE_WINDOW_SECONDS = 15 * 60
    settings.LOGIN_ACCOUNT_LOCK_SECONDS = 60
    return settings


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def register(api):
    """``register(email=..., username=..., password=...)`` through the API; returns the Account."""

    def make(email: str | None = None, username: str | None = None, password: str = PASSWORD) -> Account:
        suffix = uuid.uuid4().hex[:8]
        email = email or f"user-{suffix}@example.com"
        username = username or f"user_{suffix}"
        response = api.post(f"{AUTH}/register", {"email": email, "username": username, "password": password},
                            format="json")
        assert response.status_code == 201, response.content
        return Account(id=response.json()["id"], email=response.json()["email"], username=username,
                       password=password)

    return make


@pytest.fixture
def login(api):
    """``login(account)`` through the API; returns the token pair as a dict."""

    def do(account: Account, password: str | None = None, **extra) -> dict:
        response = api.post(f"{AUTH}/login", {"email": account.email, "password": password or account.password},
                            format="json", **extra)
        assert response.status_code == 200, response.content
        return response.json()

    return do


@pytest.fixture
def account(register) -> Account:
    return register(email="alice@example.com", username="alice")
