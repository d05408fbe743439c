"""X-Request-ID on every response, and the JSON log lines that carry it."""

import io
import json
import logging
import re
import uuid

import pytest
import structlog
from django.test import Client

from marketplace_libs import logging_setup, testing
from marketplace_libs.logging_setup import flatten
from marketplace_libs.request_context import accept_request_id, request_id_var

API = "/api/libstest"
GENERATED = re.compile(r"^[0-9a-f]{32}$")


@pytest.fixture
def client():
    return Client(raise_request_exception=False)


@pytest.fixture
def json_log():
    """Every log line written while the test runs, formatted exactly as the service's stdout handler does."""
    formatter_config = logging_setup.logging_config("libstest")["formatters"]["json"]
    formatter = structlog.stdlib.ProcessorFormatter(
        processors=formatter_config["processors"], foreign_pre_chain=formatter_config["foreign_pre_chain"]
    )
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.addHandler(handler)

    def lines() -> list[dict]:
        """Each line parsed, its ECS fields under their dotted names ("service.name")."""
        return [flatten(json.loads(line)) for line in stream.getvalue().splitlines() if line.strip()]

    yield lines
    root.removeHandler(handler)


def access_lines(lines: list[dict]) -> list[dict]:
    return [line for line in lines if line.get("log.logger") == "marketplace.access"]


# --- the header ------------------------------------------------------------------------------

@pytest.mark.parametrize("request_id", [
    "abc123", "trace-7f3a.b_c:d", "A" * 128, str(uuid.uuid4()),
])
def test_acceptable_request_id_is_echoed(client, request_id):
    response = client.get("/healthz", HTTP_X_REQUEST_ID=request_id)
    assert response.status_code == 200
    assert response["X-Request-ID"] == request_id


@pytest.mark.parametrize("junk", [
    "has spaces", "<script>alert(1)</script>", "A" * 129, "new\nline", "ünïcode", "a;b", "",
])
def test_junk_request_id_is_replaced(client, junk):
    response = client.get("/healthz", HTTP_X_REQUEST_ID=junk)
    assert response["X-Request-ID"] != junk
    assert GENERATED.match(response["X-Request-ID"])


def test_a_request_without_an_id_gets_a_fresh_one(client):
    first = client.get("/healthz")["X-Request-ID"]
    second = client.get("/healthz")["X-Request-ID"]
    assert GENERATED.match(first) and GENERATED.match(second)
    assert first != second


@pytest.mark.parametrize("method, path, status", [
    ("get", "/healthz", 200),
    ("get", f"{API}/validation", 400),
    ("get", f"{API}/whoami", 401),
    ("get", f"{API}/not-found", 404),
    ("get", "/no/such/url", 404),
    ("post", "/healthz", 405),
    ("get", f"{API}/conflict", 409),
    ("get", f"{API}/rate-limited", 429),
    ("get", f"{API}/broken", 500),
    ("get", "/admin/libstest/", 302),
])
def test_every_response_carries_the_request_id(client, method, path, status):
    response = getattr(client, method)(path, HTTP_X_REQUEST_ID="req-every-1")
    assert response.status_code == status
    assert response["X-Request-ID"] == "req-every-1"
    if response["Content-Type"] == "application/problem+json":
        assert json.loads(response.content)["request_id"] == "req-every-1"


def test_generated_id_is_the_one_in_the_problem_body(client):
    response = client.get(f"{API}/conflict")
    assert json.loads(response.content)["request_id"] == response["X-Request-ID"]


def test_request_id_does_not_leak_past_the_request(client):
    client.get("/healthz", HTTP_X_REQUEST_ID="only-this-request")
    assert request_id_var.get() is None


def test_accept_request_id_unit():
    assert accept_request_id("ok-id") == "ok-id"
    assert GENERATED.match(accept_request_id(None))
    assert GENERATED.match(accept_request_id("x" * 500))


# --- the access log ----------------------------------------------------------------------------

def test_one_json_access_line_per_request(client, json_log):
    client.get("/healthz", HTTP_X_REQUEST_ID="log-me-1")

    lines = access_lines(json_log())
    assert len(lines) == 1
    line = lines[0]
    assert line["message"] == "request"
    assert line["trace.id"] == "log-me-1"
    assert line["http.request.method"] == "GET"
    assert line["url.path"] == "/healthz"
    assert line["http.response.status_code"] == 200
    assert line["service.name"] == "libstest"
    assert line["log.level"] == "info"
    assert line["event.dataset"] == "marketplace.access"
    assert isinstance(line["event.duration"], int) and line["event.duration"] > 0  # nanoseconds
    assert line["@timestamp"].endswith("Z")
    assert line["ecs.version"]
    assert "user.id" not in line  # nobody signed in


def test_access_line_names_the_authenticated_user(client_for, json_log):
    user_id = str(uuid.uuid4())
    client_for(user_id=user_id).get(f"{API}/whoami", HTTP_X_REQUEST_ID="log-me-2")

    line = access_lines(json_log())[-1]
    assert line["user.id"] == user_id
    assert line["trace.id"] == "log-me-2"
    assert line["http.response.status_code"] == 200


def test_access_line_of_a_failed_request(client, json_log):
    client.get(f"{API}/conflict", HTTP_X_REQUEST_ID="log-me-3")
    line = access_lines(json_log())[-1]
    assert line["http.response.status_code"] == 409
    assert line["url.path"] == f"{API}/conflict"


def test_error_log_of_a_crash_carries_the_request_id(client, json_log):
    response = client.get(f"{API}/broken", HTTP_X_REQUEST_ID="crash-1")
    assert response.status_code == 500

    errors = [line for line in json_log() if line.get("log.level") == "error"]
    assert errors, "the crash must be logged"
    assert errors[0]["trace.id"] == "crash-1"
    assert errors[0]["error.type"] == "RuntimeError"
    assert "RuntimeError" in errors[0]["error.stack_trace"]
    assert access_lines(json_log())[-1]["http.response.status_code"] == 500


def test_access_log_is_written_to_stdout_as_json():
    """The configured root handler writes one JSON object per line to stdout."""
    config = logging_setup.logging_config("libstest")
    assert config["handlers"]["stdout"]["stream"] == "ext://sys.stdout"
    assert config["root"]["handlers"] == ["stdout"]
    handler = next(h for h in logging.getLogger().handlers
                   if isinstance(h.formatter, structlog.stdlib.ProcessorFormatter))
    record = logging.LogRecord("some.library", logging.WARNING, __file__, 1, "plain %s line", ("stdlib",), None)
    token = request_id_var.set("stdlib-req")
    try:
        formatted = flatten(json.loads(handler.formatter.format(record)))
    finally:
        request_id_var.reset(token)
    assert formatted["message"] == "plain stdlib line"
    assert formatted["log.logger"] == "some.library"
    assert formatted["log.level"] == "warning"
    assert formatted["trace.id"] == "stdlib-req"
    assert formatted["service.name"] == "libstest"


def test_secrets_are_redacted(json_log):
    structlog.get_logger("tests.secrets").info(
        "login_attempt", password="hunter2", token=testing.mint_token(), email="a@example.com"
    )
    line = next(line for line in json_log() if line["message"] == "login_attempt")
    assert line["password"] == "[redacted]"
    assert line["token"] == "[redacted]"
    assert line["user.email"] == "a@example.com"  # not a secret
    assert "hunter2" not in json.dumps(json_log())
