"""The gateway's log lines: nginx's JSON access log and the Django edge's, both in the ECS form the
services write, with the request id under the same field (trace.id)."""

import json
import re
from pathlib import Path

from marketplace_libs import logging_setup
from marketplace_libs.logging_setup import flatten
from marketplace_libs.testing import captured_log_lines

TEMPLATE = Path(__file__).resolve().parents[2] / "nginx" / "nginx.conf.template"
# What nginx puts in each variable of the format, as it would on a request.
SAMPLE = {
    "time_iso8601": "2026-11-27T23:13:10+00:00", "req_id": "0f3c9a7b6e5d4c3b2a1908f7e6d5c4b3",
    "request_method": "POST", "logged_path": "/api/auth/login", "status": "200", "request_time_ns": "12000000", "request_time_ms": "12",
    "body_bytes_sent": "512", "remote_addr": "127.0.0.1", "auth_user_id": "", "upstream_response_time": "0.011",
}


def access_log_format() -> str:
    text = TEMPLATE.read_text()
    block = re.search(r"log_format json_access escape=json\s+(.*?);\n", text, re.S).group(1)
    return "".join(re.findall(r"'([^']*)'", block))


def test_nginx_writes_an_ecs_line_with_the_services_request_id_field():
    line = re.sub(r"\$([a-z0-9_]+)", lambda match: SAMPLE[match.group(1)], access_log_format())
    record = flatten(json.loads(line))
    assert record["trace.id"] == SAMPLE["req_id"]
    assert record["service.name"] == "nginx"
    assert record["event.dataset"] == "nginx.access"
    assert record["http.request.method"] == "POST" and record["url.path"] == "/api/auth/login"
    assert record["http.response.status_code"] == 200
    assert record["event.duration"] == 12_000_000 and record["marketplace.duration_ms"] == 12
    assert {"@timestamp", "log.level", "message", "ecs.version", "user.id"} <= set(record)
    # The same names the services' formatter uses for the same things.
    assert logging_setup.ECS_FIELDS["request_id"] == "trace.id"
    assert logging_setup.ECS_FIELDS["user_id"] == "user.id"


def test_nginx_logs_the_path_without_its_query():
    # $request_uri would carry a socket's ?token=.
    assert "$request_uri" not in access_log_format() and "$args" not in access_log_format()


def converter(variable: str):
    """nginx's ``map $request_time $<variable>``, as a Python function."""
    text = TEMPLATE.read_text()
    mapping = re.search(r"map \$request_time \$" + variable + r" \{(.*?)\n\s*\}\n", text, re.S).group(1)
    # nginx's PCRE names groups (?<name>...), Python's re (?P<name>...); a value is quoted or a $variable.
    rules = [(re.compile(pattern.replace("(?<", "(?P<")), replacement.strip('"').replace("$ms", "${ms}"))
             for pattern, replacement in re.findall(r'"~([^"]+)"\s+("[^"]+"|\$\w+);', mapping)]
    assert len(rules) == 2

    def convert(request_time: str) -> int:
        for pattern, replacement in rules:
            match = pattern.match(request_time)
            if match:
                return int(re.sub(r"\$\{(\w+)\}", lambda m: match.group(m.group(1)), replacement))
        return 0

    return convert


def test_the_request_time_becomes_milliseconds_and_nanoseconds():
    milliseconds, nanoseconds = converter("request_time_ms"), converter("request_time_ns")
    for request_time, expected_ms in [("0.000", 0), ("0.005", 5), ("0.050", 50), ("0.120", 120), ("3.007", 3007)]:
        assert milliseconds(request_time) == expected_ms, request_time
        assert nanoseconds(request_time) == expected_ms * 1_000_000, request_time


def test_the_edge_app_writes_ecs_lines_with_the_request_id(client):
    with captured_log_lines("gateway") as stream:
        client.get("/_auth/verify", HTTP_X_REQUEST_ID="edge-1", HTTP_X_ORIGINAL_URI="/api/auth/me",
                   HTTP_AUTHORIZATION="Bearer not-a-token")
    lines = [flatten(json.loads(line)) for line in stream.getvalue().splitlines()]
    [access] = [line for line in lines if line.get("event.dataset") == "marketplace.access"]
    assert access["service.name"] == "gateway" and access["trace.id"] == "edge-1"
    assert access["http.response.status_code"] == 401
    assert "not-a-token" not in stream.getvalue()


def test_nginx_logs_a_signed_link_without_its_token():
    mapping = re.search(r"map \$uri \$logged_path \{(.*?)\n\s*\}\n", TEMPLATE.read_text(), re.S).group(1)
    assert '"~^/files/" "/files/[signed-link]";' in mapping and "default $uri;" in mapping


def test_the_edge_logs_a_signed_link_without_its_token(client):
    token = "eyJzZXJ2aWNlIjoib3JkZXJzIn0:secret-signature"
    with captured_log_lines("gateway") as stream:
        client.get(f"/files/{token}", HTTP_X_REQUEST_ID="edge-2")
    lines = [flatten(json.loads(line)) for line in stream.getvalue().splitlines()]
    [access] = [line for line in lines if line.get("event.dataset") == "marketplace.access"]
    assert access["url.path"] == "/files/[signed-link]"
    assert token not in stream.getvalue() and "secret-signature" not in stream.getvalue()
