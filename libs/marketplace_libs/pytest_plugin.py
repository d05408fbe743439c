"""Fixtures for every service's tests (enable with ``-p marketplace_libs.pytest_plugin``)."""

from __future__ import annotations

import pytest

from . import testing, tokens


@pytest.fixture
def trust_test_key(settings):
    """Services other than auth verify tokens minted with the test key."""
    settings.MARKETPLACE_TOKEN_KEY_SOURCE = "marketplace_libs.testing.test_key_source"
    tokens.reset_verifier()
    yield
    tokens.reset_verifier()


@pytest.fixture
def api_client():
    from rest_framework.test import APIClient

    return APIClient()


@pytest.fixture
def client_for(trust_test_key):
    """``client_for(roles=("seller",))`` gives an API client holding a fresh access token."""
    from rest_framework.test import APIClient

    def make(**token_claims):
        client = APIClient()
        token = testing.mint_token(**token_claims)
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        client.token = token
        return client

    return make


@pytest.fixture
def staff_admin_client(trust_test_key, db):
    """A browser signed in to this service's admin as the auth service signs staff in: the staff token
    cookie (admin_sso), which every admin request checks again."""
    from django.test import Client

    from .admin_sso import ADMIN_TOKEN_COOKIE

    client = Client()
    client.cookies[ADMIN_TOKEN_COOKIE] = testing.mint_token(username="ops_anna", roles=("buyer", "staff"),
                                                            is_superuser=True)
    return client


@pytest.fixture(autouse=True)
def _clear_caches():
    """Each test starts with empty caches (rate-limit counters, revocations)."""
    from django.core.cache import caches

    for alias in ("default", "shared"):
        caches[alias].clear()
    yield
