import socket

import pytest


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_platform_health_is_503_naming_a_service_that_does_not_answer(client, monkeypatch):
    # Nothing listens on this port base, so every present service is unreachable.
    monkeypatch.setenv("MARKETPLACE_PORT_BASE", str(_free_port()))
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "degraded"
    assert body["services"]["auth"]["status"] == "unreachable"


def test_docs_page_lists_every_present_service_schema(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    assert b"/api/auth/schema/" in response.content
    assert b"swagger-ui-bundle.js" in response.content


@pytest.mark.parametrize("path", ["/nope", "/api/auth/me"])
def test_unknown_paths_are_problems(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
