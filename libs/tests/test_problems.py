"""Every error a service answers is RFC 9457 problem+json with the platform's fields."""

import json
import time
from http import HTTPStatus

import pytest
from django.test import Client

from marketplace_libs import problems, testing

API = "/api/libstest"


def assert_problem(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = json.loads(response.content)
    assert {"type", "title", "status", "detail", "request_id"} <= set(body)
    assert body["status"] == status
    assert body["type"].startswith("urn:marketplace:problem:")
    if code is not None:
        assert body["type"] == f"urn:marketplace:problem:{code}"
    assert body["detail"]
    assert body["request_id"] == response["X-Request-ID"]
    return body


@pytest.fixture
def client():
    return Client(raise_request_exception=False)


def test_nested_validation_errors_are_flattened(client):
    body = assert_problem(client.get(f"{API}/validation"), 400, "validation_error")
    assert body["title"] == "Bad Request"
    assert body["errors"] == {
        "title": ["This field is required."],
        "price.amount": ["Must be positive."],
        "price.currency": ["Unknown currency."],
        "items.1.quantity": ["Must be at least 1."],
        "non_field_errors": ["Title and price disagree."],
    }


def test_serializer_errors_name_each_field(client):
    response = client.post(f"{API}/echo", {"name": "far too long a name", "quantity": "many"},
                           content_type="application/json")
    body = assert_problem(response, 400, "validation_error")
    assert set(body["errors"]) == {"name", "quantity"}
    assert all(isinstance(messages, list) and messages for messages in body["errors"].values())
    assert all(isinstance(message, str) for messages in body["errors"].values() for message in messages)


def test_valid_input_passes(client):
    response = client.post(f"{API}/echo", {"name": "pen", "quantity": 2}, content_type="application/json")
    assert response.status_code == 200
    assert response.json() == {"name": "pen", "quantity": 2}


def test_a_non_object_body_is_a_validation_error(client):
    response = client.post(f"{API}/echo", "[1, 2]", content_type="application/json")
    body = assert_problem(response, 400, "validation_error")
    assert body["errors"]


def test_conflict(client):
    body = assert_problem(client.get(f"{API}/conflict"), 409, "conflict")
    assert body["title"] == "Conflict"
    assert body["detail"] == "This order was already accepted."
    assert "errors" not in body


def test_rate_limited_has_retry_after(client):
    response = client.get(f"{API}/rate-limited")
    body = assert_problem(response, 429, "rate_limited")
    assert response["Retry-After"] == "42"
    assert body["detail"] == "Slow down."


def test_drf_throttled_has_retry_after_rounded_up(client):
    response = client.get(f"{API}/throttled")
    assert_problem(response, 429, "throttled")
    assert response["Retry-After"] == "13"


def test_domain_not_found(client):
    body = assert_problem(client.get(f"{API}/not-found"), 404, "not_found")
    assert body["detail"] == "No such gig."


def test_without_a_token_is_401_with_www_authenticate(client):
    response = client.get(f"{API}/whoami")
    assert_problem(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"] == 'Bearer realm="marketplace"'


@pytest.mark.parametrize("header", ["Bearer not-a-token", "Basic dXNlcjpwYXNz", "Bearer "])
def test_bad_token_is_401_with_www_authenticate(client, trust_test_key, header):
    response = client.get(f"{API}/whoami", HTTP_AUTHORIZATION=header)
    assert_problem(response, 401, "token_invalid")
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_expired_token_is_401(client, trust_test_key):
    token = testing.mint_token(issued_at=time.time() - 3600)
    response = client.get(f"{API}/whoami", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert_problem(response, 401, "token_expired")
    assert "WWW-Authenticate" in response


def test_valid_token_is_let_in(client_for):
    response = client_for(username="carol", roles=("buyer",)).get(f"{API}/whoami")
    assert response.status_code == 200
    assert response.json()["username"] == "carol"


def test_role_check_403_without_the_role(client_for):
    response = client_for(roles=("buyer",)).get(f"{API}/seller-only")
    body = assert_problem(response, 403, "role_missing")
    assert "'seller' role" in body["detail"] and "POST /api/auth/refresh" in body["detail"]
    assert "WWW-Authenticate" not in response


def test_role_check_passes_with_the_role(client_for):
    assert client_for(roles=("buyer", "seller")).get(f"{API}/seller-only").status_code == 200


def test_role_check_without_a_token_is_401(client):
    response = client.get(f"{API}/seller-only")
    assert_problem(response, 401)
    assert "WWW-Authenticate" in response


def test_unknown_url_is_404(client):
    body = assert_problem(client.get("/api/libstest/no-such-thing"), 404, "not_found")
    assert body["title"] == "Not Found"
    assert_problem(client.get("/nowhere/at/all"), 404)


def test_wrong_method_on_healthz_is_405(client):
    response = client.post("/healthz")
    assert_problem(response, 405, "method_not_allowed")
    assert response["Allow"] == "GET"


def test_wrong_method_on_a_drf_view_is_405(client):
    response = client.delete(f"{API}/conflict")
    assert_problem(response, 405)
    assert "GET" in response["Allow"]


def test_malformed_json_is_400(client):
    response = client.post(f"{API}/echo", '{"name": "pen", ', content_type="application/json")
    body = assert_problem(response, 400, "parse_error")
    assert "JSON" in body["detail"]


def test_unsupported_media_type_is_415(client):
    response = client.post(f"{API}/echo", "name=pen", content_type="application/x-www-form-urlencoded")
    assert_problem(response, 415)


def test_body_over_the_upload_limit_is_413(client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    small = json.dumps({"name": "pen", "quantity": 1})
    assert client.post(f"{API}/echo", small, content_type="application/json").status_code == 200

    big = json.dumps({"name": "x" * 2000, "quantity": 1})
    body = assert_problem(client.post(f"{API}/echo", big, content_type="application/json"), 413,
                          "payload_too_large")
    assert body["title"] == HTTPStatus(413).phrase


def test_body_over_the_default_limit_is_413(client, settings):
    big = json.dumps({"name": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10), "quantity": 1})
    assert_problem(client.post(f"{API}/echo", big, content_type="application/json"), 413)


@pytest.mark.parametrize("path", [f"{API}/broken", f"{API}/broken-plain"])
def test_a_raising_view_is_a_500_problem(client, path):
    response = client.get(path, HTTP_X_REQUEST_ID="trace-500")
    body = assert_problem(response, 500, "server_error")
    assert body["request_id"] == "trace-500"
    # Nothing of the exception leaks to the client.
    assert "bug" not in response.content.decode()
    assert "Traceback" not in response.content.decode()


def test_problem_body_helper():
    body = problems.problem_body(409, "Taken.", errors={"email": ["Taken."]}, extra_field=1)
    assert body == {
        "type": "urn:marketplace:problem:conflict",
        "title": "Conflict",
        "status": 409,
        "detail": "Taken.",
        "errors": {"email": ["Taken."]},
        "extra_field": 1,
        "request_id": None,
    }


def test_field_errors_of_a_list_of_objects():
    flat = problems._field_errors({"lines": [{"sku": ["Unknown."]}, {"sku": ["Bad."], "qty": ["Low."]}]})
    assert flat == {"lines.0.sku": ["Unknown."], "lines.1.sku": ["Bad."], "lines.1.qty": ["Low."]}

