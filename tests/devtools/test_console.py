"""What `manage_all.py up` prints: a line a person reads per request and log line, the polls left out,
warnings and errors in full; the JSON lines as they came in var/log/platform.log."""

import io
import json
from datetime import datetime

from honcho.printer import Message

from devtools.logs import console_plain, console_text
from devtools.processes import TeePrinter
from marketplace_libs.logging_setup import flatten

GIG_LIST = {"@timestamp": "2026-12-01T22:44:02.9Z", "log.level": "info", "message": "request",
            "event": {"dataset": "marketplace.access", "duration": 12_400_000},
            "http": {"request": {"method": "GET"}, "response": {"status_code": 200}},
            "service": {"name": "gigs"}, "client": {"ip": "127.0.0.1"}, "trace": {"id": "c0ffee"},
            "url": {"path": "/api/gigs/"}, "user": {"id": "42"}}
READINESS = {**GIG_LIST, "url": {"path": "/readyz"}}
GATEWAY_POLL = {"log.level": "info", "message": 'HTTP Request: GET http://127.0.0.1:8103/readyz "HTTP/1.1 200 OK"',
                "log": {"logger": "httpx"}, "service": {"name": "gateway"}}
FAILURE = {"log.level": "error", "message": "event_failed", "service": {"name": "orders"},
           "marketplace": {"event_type": "order.paid", "correlation_id": "abc"},
           "detail": "x" * 300, "error": {"stack_trace": "Traceback (most recent call last):\n  boom\nValueError: no"}}


def test_a_request_is_one_line_with_its_status_duration_user_and_request_id():
    assert console_text(flatten(GIG_LIST)) == "GET /api/gigs/ 200 12 ms user=42 rid=c0ffee"


def test_readiness_and_health_polls_are_not_shown():
    assert console_text(flatten(READINESS)) is None
    assert console_text(flatten({**GIG_LIST, "url": {"path": "/api/auth/healthz"}})) is None
    assert console_text(flatten(GATEWAY_POLL)) is None


def test_nginx_complaining_of_a_poll_it_could_not_pass_on_is_not_shown():
    refused = ('2026/12/01 23:11:04 [error] 9806#9806: *1 connect() failed (111: Connection refused) while '
               'connecting to upstream, client: 127.0.0.1, server: , request: "GET /healthz HTTP/1.1", '
               'upstream: "http://127.0.0.1:18100/healthz", host: "127.0.0.1:18080"')
    assert console_plain(refused) is None
    assert console_plain(refused.replace("/healthz", "/api/gigs/")) == refused.replace("/healthz", "/api/gigs/")


def test_errors_come_in_full_with_their_level_and_stack():
    text = console_text(flatten(FAILURE))
    first, *stack = text.splitlines()
    assert first.startswith("ERROR event_failed order.paid")
    assert f"detail={'x' * 300}" in first and "rid=abc" in first
    assert stack == ["Traceback (most recent call last):", "  boom", "ValueError: no"]


def test_the_console_is_readable_and_the_file_keeps_the_json(tmp_path):
    console = io.StringIO()
    printer = TeePrinter(console, tmp_path / "platform.log")
    lines = "\n".join(json.dumps(record) for record in (GIG_LIST, READINESS)) + "\nCelery's banner\n"
    printer.write(Message("line", lines.encode(), datetime(2026, 12, 1, 22, 44, 2), "gigs", None))
    printer.close()
    assert console.getvalue().splitlines() == ["22:44:02 gigs | GET /api/gigs/ 200 12 ms user=42 rid=c0ffee",
                                               "22:44:02 gigs | Celery's banner"]
    kept = (tmp_path / "platform.log").read_text().splitlines()
    assert [json.loads(line.split("| ", 1)[1])["url"]["path"] for line in kept[:2]] == ["/api/gigs/", "/readyz"]


def test_json_console_prints_the_lines_as_they_came(tmp_path):
    console = io.StringIO()
    printer = TeePrinter(console, tmp_path / "platform.log", readable=False)
    printer.write(Message("line", json.dumps(READINESS), datetime(2026, 12, 1, 22, 44, 2), "gigs", None))
    printer.close()
    assert json.loads(console.getvalue().split("| ", 1)[1]) == READINESS
