import pytest

from edge import views
from marketplace_libs import testing
from marketplace_libs.topology import present_services


@pytest.fixture
def nothing_answers(monkeypatch):
    # Nothing listens on this port base, so every present service is unreachable.
    monkeypatch.setenv("MARKETPLACE_PORT_BASE", str(testing.free_port()))
    views._readiness_of_services.forget()
    yield
    views._readiness_of_services.forget()


def test_platform_health_is_503_with_only_up_or_down_for_anyone(client, nothing_answers):
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "degraded"
    assert body["services"]["auth"] == "down"
    # Why it is down names hosts and ports (and could name users): staff only.
    assert "details" not in body
    assert "127.0.0.1" not in response.content.decode() and "Error" not in response.content.decode()


@pytest.mark.usefixtures("trust_test_key")
def test_staff_see_what_each_service_reported(client, nothing_answers):
    staff = testing.mint_token(roles=("buyer", "staff"))
    body = client.get("/healthz", HTTP_AUTHORIZATION=f"Bearer {staff}").json()
    assert body["services"]["auth"] == "down"
    assert body["details"]["auth"]["status"] == "unreachable"
    assert body["details"]["auth"]["error"].startswith("ConnectError")


@pytest.mark.usefixtures("trust_test_key")
def test_a_buyer_token_sees_what_anyone_sees(client, nothing_answers):
    buyer = testing.mint_token(roles=("buyer",))
    assert "details" not in client.get("/healthz", HTTP_AUTHORIZATION=f"Bearer {buyer}").json()


def test_services_are_asked_once_for_many_health_requests(client, nothing_answers, monkeypatch):
    asked = []
    monkeypatch.setattr(views, "_readiness", lambda spec: asked.append(spec.name) or (spec.name, {"status": "ready"}))
    for _ in range(5):
        assert client.get("/healthz").status_code == 200
    assert sorted(asked) == sorted(spec.name for spec in present_services())


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
