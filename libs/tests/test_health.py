"""/healthz and /readyz, against the real database, cache and broker the settings name."""

import json

import pytest
from django.test import Client

CLOSED_BROKER = "amqp://guest:guest@127.0.0.1:1//"


def fail_search():
    raise ConnectionError("search cluster is down")


def always_ok():
    return None


@pytest.fixture
def client():
    return Client(raise_request_exception=False)


@pytest.mark.parametrize("path", ["/healthz", "/api/libstest/healthz"])
def test_healthz(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "service": "libstest"}


def test_healthz_needs_no_database(client):
    # No django_db mark: a database query here would fail the test.
    assert client.get("/healthz").status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/readyz", "/api/libstest/readyz"])
def test_readyz_with_everything_up(client, path):
    response = client.get(path)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "ready"
    assert body["service"] == "libstest"
    assert body["checks"] == {"database": "ok", "cache": "ok", "broker": "ok"}


@pytest.mark.django_db
def test_readyz_names_a_broker_that_does_not_answer(client, settings):
    settings.MARKETPLACE_BROKER_URL = CLOSED_BROKER

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response["Content-Type"] == "application/problem+json"
    body = json.loads(response.content)
    assert body["status"] == 503
    assert body["type"] == "urn:marketplace:problem:not_ready"
    assert "broker" in body["detail"]
    assert body["checks"]["broker"].startswith("failing:")
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["cache"] == "ok"
    assert body["service"] == "libstest"
    assert body["request_id"] == response["X-Request-ID"]
    # The failure names the part, but neither credentials nor the server's address.
    assert "guest" not in response.content.decode() and "127.0.0.1" not in response.content.decode()


@pytest.mark.django_db
def test_readyz_runs_a_service_s_own_checks(client, settings):
    settings.READINESS_CHECKS = {"search": "tests.test_health.fail_search", "extra": "tests.test_health.always_ok"}

    response = client.get("/readyz")

    assert response.status_code == 503
    body = json.loads(response.content)
    assert "search" in body["detail"]
    assert body["checks"]["search"] == "failing: ConnectionError"  # the error's text only in the log
    assert body["checks"]["extra"] == "ok"


def test_readyz_reports_an_unreachable_database(client):
    # Without database access (no django_db mark), the database check fails and is named.
    response = client.get("/readyz")
    assert response.status_code == 503
    body = json.loads(response.content)
    assert "database" in body["detail"]
    assert body["checks"]["database"].startswith("failing:")


def test_readyz_is_get_only(client):
    response = client.post("/readyz")
    assert response.status_code == 405
    assert response["Content-Type"] == "application/problem+json"
