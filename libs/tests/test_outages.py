"""A server that does not answer is a 503 problem with Retry-After, and never lets a token through."""

import json

import pytest
from django.test import Client

from marketplace_libs import outages, testing, tokens
from marketplace_libs.tokens import TokenRejected

API = "/api/libstest"
CLOSED_REDIS = "redis://127.0.0.1:1/0"


@pytest.fixture
def redis_down(settings):
    """The caches (revocations among them) on a Redis port where nothing listens: a real refused
    connection, on the embedded default (file caches) as on Redis."""
    closed = {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": CLOSED_REDIS,
              "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 1, "SOCKET_TIMEOUT": 1}}
    settings.CACHES = {"default": closed, "shared": closed}
    tokens.reset_verifier()
    yield
    tokens.reset_verifier()


@pytest.mark.usefixtures("trust_test_key", "redis_down")
def test_a_token_whose_revocation_cannot_be_looked_up_is_never_accepted():
    with pytest.raises(Exception) as caught:
        tokens.get_verifier().verify(testing.mint_token())
    assert not isinstance(caught.value, TokenRejected)  # not "bad token": the store is down
    assert outages.is_outage(caught.value)


@pytest.mark.usefixtures("trust_test_key", "redis_down")
def test_an_api_call_during_a_redis_outage_is_503_with_retry_after():
    client = Client(raise_request_exception=False)

    response = client.get(f"{API}/whoami", HTTP_AUTHORIZATION=f"Bearer {testing.mint_token()}")

    assert response.status_code == 503
    assert response["Content-Type"] == "application/problem+json"
    assert response["Retry-After"] == str(outages.RETRY_AFTER_SECONDS)
    body = json.loads(response.content)
    assert body["type"] == "urn:marketplace:problem:service_unavailable"
    assert "127.0.0.1" not in response.content.decode()


@pytest.mark.parametrize("error", [ValueError("bad"), KeyError("x"), RuntimeError("a bug")])
def test_a_bug_is_no_outage(error):
    assert not outages.is_outage(error)


def test_an_outage_behind_another_error_is_found():
    try:
        try:
            raise ConnectionRefusedError(111, "Connection refused")
        except ConnectionRefusedError as refused:
            raise RuntimeError("while publishing") from refused
    except RuntimeError as error:
        assert outages.is_outage(error)


def test_a_bug_still_answers_500():
    response = Client(raise_request_exception=False).get(f"{API}/broken")
    assert response.status_code == 500
    assert "Retry-After" not in response
