"""ECS log lines, the redaction of secrets, and the Prometheus metrics of requests and events."""

from __future__ import annotations

import io
import json
import socket
import uuid
from datetime import datetime, timezone as dt_timezone

import httpx
import pytest
import structlog
from django.db import transaction
from django.test import Client
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from marketplace_libs import logging_setup, metrics, testing
from marketplace_libs.events import registry
from marketplace_libs.events.consumer import Event, handle_envelope, handling_context
from marketplace_libs.events.models import OutboxEvent
from marketplace_libs.events.publishing import publish
from marketplace_libs.logging_setup import flatten
from marketplace_libs.request_context import request_id_var
from marketplace_libs.testing import captured_log_lines

API = "/api/libstest"
# What the ECS formatter puts on every line.
ECS_BASE_FIELDS = {"@timestamp", "log.level", "message", "ecs.version", "service.name", "event.dataset",
                   "log.logger", "process.pid"}


@pytest.fixture
def captured():
    """The exact text the service's stdout handler writes while the test runs."""
    with captured_log_lines("libstest") as stream:
        yield stream


def lines_of(stream: io.StringIO) -> list[dict]:
    return [flatten(json.loads(line)) for line in stream.getvalue().splitlines() if line.strip()]


# --- ECS ---------------------------------------------------------------------------------------

def test_every_line_is_ecs_json_with_the_request_id(captured, client_for):
    user_id = str(uuid.uuid4())
    client_for(user_id=user_id).get(f"{API}/whoami", HTTP_X_REQUEST_ID="ecs-1")
    Client(raise_request_exception=False).get(f"{API}/broken", HTTP_X_REQUEST_ID="ecs-2")

    lines = lines_of(captured)
    assert lines and all(ECS_BASE_FIELDS <= set(line) for line in lines), lines
    assert all(line["service.name"] == "libstest" for line in lines)
    assert all(line.get("trace.id") in ("ecs-1", "ecs-2") for line in lines)
    [access] = [line for line in lines if line.get("trace.id") == "ecs-1"]
    assert access["event.dataset"] == "marketplace.access"
    assert access["user.id"] == user_id
    assert access["http.request.method"] == "GET" and access["url.path"] == f"{API}/whoami"
    assert access["http.response.status_code"] == 200
    crash = [line for line in lines if line.get("trace.id") == "ecs-2" and line["log.level"] == "error"]
    assert crash and crash[0]["error.type"] == "RuntimeError"


@pytest.mark.django_db
def test_a_5xx_answer_is_one_access_line_and_only_an_exception_adds_a_line(captured, settings):
    """django.request repeats every 5xx answer ("Service Unavailable: /readyz" on each poll while a
    dependency is down): only the records with a stack trace, which nothing else writes, are kept."""
    settings.MARKETPLACE_BROKER_URL = "amqp://guest:guest@127.0.0.1:1//"
    client = Client(raise_request_exception=False)
    assert client.get("/readyz", HTTP_X_REQUEST_ID="unready").status_code == 503
    assert client.get(f"{API}/broken", HTTP_X_REQUEST_ID="crash").status_code == 500

    lines = lines_of(captured)
    assert [line["message"] for line in lines if line.get("trace.id") != "crash"] == [
        "readiness_check_failed", "request"], lines
    crash = [line for line in lines if line.get("trace.id") == "crash" and line["log.level"] == "error"]
    assert [line["log.logger"] for line in crash if line.get("error.stack_trace")] == ["django.request"], crash


def test_the_raw_line_starts_with_timestamp_level_and_message(captured):
    structlog.get_logger("tests.ecs").info("hello", size=3)
    raw = captured.getvalue().splitlines()[-1]
    assert raw.startswith('{"@timestamp":"') and '"log.level":"info","message":"hello"' in raw
    assert flatten(json.loads(raw))["size"] == 3


def test_a_handled_event_carries_its_ids_and_the_correlation_id(captured):
    event = Event(id=str(uuid.uuid4()), type="user.registered", version=1, occurred_at=datetime.now(dt_timezone.utc),
                  producer="auth", correlation_id="req-from-the-gateway", data={})
    with handling_context(event):
        structlog.get_logger("marketplace.events").info("event_handled", outcome="applied", duration_ms=1.5)
    [line] = [line for line in lines_of(captured) if line["message"] == "event_handled"]
    assert line["trace.id"] == "req-from-the-gateway"
    assert line["marketplace.correlation_id"] == "req-from-the-gateway"
    assert line["marketplace.event_id"] == event.id and line["marketplace.event_type"] == "user.registered"
    assert line["event.dataset"] == "marketplace.events"
    assert line["event.duration"] == 1_500_000 and line["marketplace.duration_ms"] == 1.5
    assert line["marketplace.event_outcome"] == "applied"


def test_records_skip_what_no_line_carries_and_lines_keep_their_fields(captured):
    import logging
    import os

    # Set by logging_config(): the caller's frame, thread and process names are looked up per record
    # otherwise, and no ECS line carries them.
    assert logging._srcfile is None
    assert not (logging.logThreads or logging.logProcesses or logging.logMultiprocessing)
    logging.getLogger("tests.plain").warning("plain %s", "stdlib")
    structlog.get_logger("tests.ecs").info("structured", size=2)
    plain, structured = lines_of(captured)[-2:]
    assert plain["message"] == "plain stdlib" and plain["log.level"] == "warning"
    assert structured["message"] == "structured" and structured["size"] == 2
    assert ECS_BASE_FIELDS <= set(plain) and ECS_BASE_FIELDS <= set(structured)
    assert plain["process.pid"] == structured["process.pid"] == os.getpid()


def test_plain_values_under_ecs_names_do_not_clash(captured):
    structlog.get_logger("tests.ecs").warning("clashing", error="boom", host="db1", user={"id": "u-1"})
    [line] = [line for line in lines_of(captured) if line["message"] == "clashing"]
    assert line["error.message"] == "boom"
    assert line["marketplace.host"] == "db1"
    assert line["user.id"] == "u-1"


def test_a_line_whose_keys_nest_into_each_other_is_still_written(captured):
    structlog.get_logger("tests.ecs").info("odd", **{"a": 1, "a.b": 2})
    line = lines_of(captured)[-1]
    assert line["message"] == "odd" and "marketplace.render_error" in line


@pytest.mark.parametrize("fields", [
    {"http.request.method": "GET", "url.path": "/api/x", "http.response.status_code": 200, "trace.id": "r-1",
     "event.duration": 1_500_000, "marketplace.duration_ms": 1.5, "service.name": "libstest", "user.id": "u-1"},
    {"error.type": "RuntimeError", "error.message": "boom", "exception": "Traceback...", "labels": {"a.b": 1}},
    {"marketplace.note": "naïve café ✓", "marketplace.items": [1, "two", None], "odd": object.__new__(object)},
    {},
])
def test_the_renderer_writes_what_ecs_logging_writes(fields):
    import ecs_logging

    event_dict = {"@timestamp": "2026-12-02T15:00:00.000Z", "event": "said", **fields}
    ours = logging_setup.ECSRenderer()(None, "warning", dict(event_dict))
    reference = ecs_logging.StructlogFormatter()(None, "warning", json.loads(json.dumps(event_dict, default=repr)))
    assert json.loads(ours) == json.loads(reference)
    assert ours.startswith('{"@timestamp":"2026-12-02T15:00:00.000Z","log.level":"warning","message":"said"')


def test_lines_are_written_together_and_a_warning_at_once():
    import logging

    class CountingStream(io.StringIO):
        writes = 0

        def write(self, text):
            self.writes += 1
            return super().write(text)

    stream = CountingStream()
    handler = logging_setup.BatchingStreamHandler(stream, interval=60)
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger = logging.getLogger("tests.batching")
    logger.propagate, logger.level = False, logging.INFO
    logger.addHandler(handler)
    try:
        for number in range(5):
            logger.info("line %d", number)
        assert stream.getvalue() == "", "INFO lines wait for the writer thread"
        logger.warning("trouble")
        assert stream.getvalue().splitlines() == ["line 0", "line 1", "line 2", "line 3", "line 4", "trouble"]
        assert stream.writes == 1, "one write for the whole batch"
        logger.info("last words")
        handler.flush()  # what logging.shutdown does at exit
        assert stream.getvalue().splitlines()[-1] == "last words"
    finally:
        logger.removeHandler(handler)


def test_the_writer_thread_writes_a_batch_soon():
    import logging
    import time

    stream = io.StringIO()
    handler = logging_setup.BatchingStreamHandler(stream, interval=0.05)
    handler.setFormatter(logging.Formatter("%(message)s"))
    record = logging.LogRecord("tests.batching", logging.INFO, __file__, 1, "soon", (), None)
    handler.handle(record)
    deadline = time.monotonic() + 5
    while not stream.getvalue() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert stream.getvalue() == "soon\n"


def test_uvicorn_and_gunicorn_lines_reach_the_json_handler():
    config = logging_setup.logging_config("libstest")
    for name in ("uvicorn", "uvicorn.error", "gunicorn.error"):
        assert config["loggers"][name] == {"handlers": [], "propagate": True}


# --- secrets -----------------------------------------------------------------------------------

def test_secrets_sent_to_a_service_never_reach_its_log(captured, client_for):
    """A view that logs everything it gets: password, Authorization, refresh token, webhook signature."""
    password, refresh, secret = "correct horse battery staple", testing.mint_token(), "whsec_live_9f8e7d6c5b4a"
    logging_setup.register_secret("configured-webhook-secret-123")
    access_client = client_for()
    body = {"email": "a@example.com", "password": password, "refresh": refresh,
            "webhook_secret": secret, "note": "configured-webhook-secret-123"}
    signature = "t=1796000000,v1=" + "ab" * 32
    response = access_client.post(f"{API}/careless?token={access_client.token}&page=2", body, format="json",
                                  HTTP_X_PAYMENT_SIGNATURE=signature, HTTP_COOKIE="sessionid=s3cr3t-session",
                                  HTTP_X_REQUEST_ID="secrets-1")
    assert response.status_code == 200

    text = captured.getvalue()
    assert "careless_debug" in text and "a@example.com" in text and "page=2" in text  # the rest is kept
    for leaked in (password, refresh, access_client.token, "ab" * 32, secret, "configured-webhook-secret-123",
                   "s3cr3t-session", "horse battery"):
        assert leaked not in text, leaked
    [debug] = [line for line in lines_of(captured) if line["message"] == "careless_debug"]
    assert debug["data.password"] == "[redacted]" and debug["data.refresh"] == "[redacted]"
    assert debug["headers.Authorization"] == "[redacted]"
    assert debug["headers.X-Payment-Signature"] == "[redacted]"
    assert debug["full_path"].endswith("?token=[redacted]&page=2")


@pytest.mark.parametrize("text, kept", [
    ("GET /ws/chat/?token=eyJhbGciOi.eyJzdWIiOi.c2lnbmF0dXJl HTTP/1.1", "GET /ws/chat/?token="),
    ("Authorization: Bearer abc.def.ghi", "Authorization:"),
    ("amqp://guest:guest@127.0.0.1:5672//", "amqp://guest:"),
    ('{"username": "ann", "password": "two words"}', '"username": "ann"'),
    ("{'new_password': 'x y z', 'n': 1}", "'n': 1"),
    ("X-Payment-Signature: t=1700000000,v1=0123456789abcdef0123456789abcdef", "t=1700000000"),
    ("secret whsec_development_only_0f3c9a in the settings", "in the settings"),
    ("-----BEGIN PRIVATE KEY-----\nMIIEv\n-----END PRIVATE KEY-----", ""),
    ("retrying the provider with API_KEY=abcd1234efgh", "retrying the provider with API_KEY="),
])
def test_secrets_are_cut_out_of_any_string(text, kept):
    redacted = logging_setup.redact(text)
    assert "[redacted]" in redacted and kept in redacted
    for secret in ("eyJzdWIiOi", "abc.def.ghi", "guest@", "two words", "x y z", "0123456789abcdef", "whsec_", "MIIEv",
                   "abcd1234efgh"):
        assert secret not in redacted


def test_a_string_that_cannot_hold_a_secret_is_kept_as_it_is():
    # The pre-check that spares most strings the patterns must never spare a secret (above), nor
    # change what holds none.
    for text in ("event_handled", "user.registered", "6f1c2b1e-0a8e-4d8e-9a59-0c1d2e3f4a5b", "GET /api/gigs/ 200"):
        assert logging_setup.redact(text) == text


def test_secret_keys_are_redacted_at_any_depth():
    redacted = logging_setup.redact({"user": {"credentials": {"Password": "p", "refresh_token": "r"}},
                                     "X-Payment-Signature": "sig", "token_error": "token_expired", "body": ""})
    assert redacted["user"]["credentials"] == {"Password": "[redacted]", "refresh_token": "[redacted]"}
    assert redacted["X-Payment-Signature"] == "[redacted]"
    assert redacted["token_error"] == "token_expired"  # a reason, not a token
    assert redacted["body"] == ""


# --- metrics: requests -------------------------------------------------------------------------

def scrape(text: str) -> dict:
    """``{(name, frozenset(labels)): value}`` of a Prometheus text page."""
    return {(sample.name, frozenset(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


def total(samples: dict, name: str, **labels) -> float:
    wanted = set(labels.items())
    return sum(value for (sample, found), value in samples.items() if sample == name and wanted <= found)


def test_the_metrics_endpoint_answers_and_counts_requests():
    client = Client()
    before = scrape(client.get("/metrics").content.decode())
    for _ in range(3):
        assert client.get("/healthz").status_code == 200
    response = client.get("/metrics")
    assert response.status_code == 200
    after = scrape(response.content.decode())
    name = "django_http_responses_total_by_status_total"
    assert total(after, name, status="200") - total(before, name, status="200") >= 3


def test_scraping_writes_no_access_line(captured):
    Client().get("/metrics")
    assert not [line for line in lines_of(captured) if line.get("url.path") == "/metrics"]


# --- metrics: events ---------------------------------------------------------------------------

def value(name: str, **labels) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def envelope_of(event_type: str, data: dict, **changes) -> dict:
    envelope = {"id": str(uuid.uuid4()), "type": event_type, "version": 1,
                "occurred_at": datetime.now(dt_timezone.utc).isoformat(), "producer": "auth",
                "correlation_id": "req-metrics", "data": data}
    envelope.update(changes)
    return envelope


def registered_data() -> dict:
    return {"user_id": str(uuid.uuid4()), "email": "m@example.com", "username": "metrics_user",
            "date_joined": "2026-11-27T20:18:00Z"}


@pytest.fixture
def handler(settings):
    """A handler of user.registered that fails as many times as ``handler.failures`` says."""
    settings.EVENTS_RETRY_BASE_SECONDS = 0.001
    settings.EVENTS_HANDLER_ATTEMPTS = 2
    state = {"failures": 0}

    @registry.handles("user.registered")
    def on_registered(event):
        if state["failures"]:
            state["failures"] -= 1
            raise RuntimeError("the handler failed")

    yield state
    registry._handlers["user.registered"].remove(on_registered)


@pytest.mark.django_db(transaction=True)
def test_handled_events_are_counted_by_outcome(handler):
    labels = {"service": "libstest", "event_type": "user.registered"}
    applied_before = value("marketplace_events_handled_total", **labels, outcome="applied")
    duplicate_before = value("marketplace_events_handled_total", **labels, outcome="duplicate")
    timed_before = value("marketplace_events_handler_seconds_count", **labels)
    envelope = envelope_of("user.registered", registered_data())

    assert handle_envelope(envelope, publish_dead_letter=None) == "applied"
    assert handle_envelope(envelope, publish_dead_letter=None) == "duplicate"

    assert value("marketplace_events_handled_total", **labels, outcome="applied") == applied_before + 1
    assert value("marketplace_events_handled_total", **labels, outcome="duplicate") == duplicate_before + 1
    assert value("marketplace_events_handler_seconds_count", **labels) == timed_before + 1


@pytest.mark.django_db(transaction=True)
def test_retries_and_dead_letters_are_counted(handler):
    labels = {"service": "libstest", "event_type": "user.registered"}
    retried_before = value("marketplace_events_retried_total", **labels)
    dead_before = value("marketplace_events_dead_lettered_total", **labels)
    handled_dead_before = value("marketplace_events_handled_total", **labels, outcome="dead_lettered")
    letters = []

    handler["failures"] = 1  # fails once, then succeeds
    assert handle_envelope(envelope_of("user.registered", registered_data()),
                           publish_dead_letter=lambda *args, **kwargs: letters.append(args)) == "applied"
    handler["failures"] = 5  # fails every attempt
    assert handle_envelope(envelope_of("user.registered", registered_data()),
                           publish_dead_letter=lambda *args, **kwargs: letters.append(args)) == "dead_lettered"

    assert len(letters) == 1
    assert value("marketplace_events_retried_total", **labels) == retried_before + 2
    assert value("marketplace_events_dead_lettered_total", **labels) == dead_before + 1
    assert value("marketplace_events_handled_total", **labels, outcome="dead_lettered") == handled_dead_before + 1


@pytest.mark.django_db(transaction=True)
def test_an_invalid_event_is_counted_under_a_fixed_label():
    before = value("marketplace_events_dead_lettered_total", service="libstest", event_type="invalid")
    outcome = handle_envelope(envelope_of("no.such.type.anyone.could.invent", {}),
                              publish_dead_letter=lambda *args, **kwargs: None)
    assert outcome == "dead_lettered"
    assert value("marketplace_events_dead_lettered_total", service="libstest", event_type="invalid") == before + 1


@pytest.mark.django_db(transaction=True)
def test_the_relay_counts_what_it_published_and_sets_the_outbox_lag():
    OutboxEvent.objects.all().delete()
    labels = {"service": "libstest", "event_type": "user.registered"}
    before = value("marketplace_events_published_total", **labels)
    with transaction.atomic():
        publish("user.registered", registered_data())
        publish("user.registered", registered_data())
    OutboxEvent.objects.update(occurred_at=datetime(2020, 1, 1, tzinfo=dt_timezone.utc))

    relay, received = testing.relay_on_an_in_memory_broker(batch_size=1)
    assert relay.relay_batch() == 1
    assert value("marketplace_outbox_lag_seconds", service="libstest") > 3600  # a row from 2020 still waits
    assert relay.relay_batch() == 1
    assert relay.relay_batch() == 0
    assert value("marketplace_outbox_lag_seconds", service="libstest") == 0
    assert value("marketplace_events_published_total", **labels) == before + 2
    assert len(testing.received_event_ids(received)) == 2


# --- where relays and workers export -----------------------------------------------------------

def test_relay_and_worker_ports_derive_from_the_service_port(monkeypatch):
    from marketplace_libs.topology import service

    monkeypatch.delenv("MARKETPLACE_METRICS_PORT", raising=False)
    assert metrics.metrics_port("relay", "orders") == service("orders").port + 1000
    assert metrics.metrics_port("worker", "orders") == service("orders").port + 2000
    assert metrics.metrics_port("worker", "probe_a") is None  # not part of the platform
    assert metrics.metrics_port("relay", "orders", {"MARKETPLACE_METRICS_PORT": "9464"}) == 9464
    assert metrics.metrics_port("relay", "orders", {"MARKETPLACE_METRICS_PORT": "0"}) is None


def test_an_exporter_serves_the_event_metrics(monkeypatch):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("MARKETPLACE_METRICS_PORT", str(port))
    assert metrics.serve("relay", "libstest") == port
    page = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    assert "# TYPE marketplace_events_published_total counter" in page
    assert "# TYPE marketplace_outbox_lag_seconds gauge" in page
    assert "# TYPE marketplace_events_handler_seconds histogram" in page
    # A second exporter on the same port (a standby relay) runs without one instead of failing.
    assert metrics.serve("relay", "libstest") is None


def test_the_request_id_var_is_untouched_by_logging():
    assert request_id_var.get() is None
