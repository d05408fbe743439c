"""Observability of the running platform (docs/observability.md): ECS JSON lines from every process,
one request followed through nginx, the gateway, the service and the workers of the events it
caused, metrics endpoints that answer and count, no secret in any line, `logs` and `status`."""

from __future__ import annotations

import re
import subprocess
import sys
import time
import uuid

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from websockets.sync.client import connect

from devtools import logs as platform_logs
from marketplace_libs.metrics import PORT_OFFSETS
from marketplace_libs.topology import ALL_SERVICES, present_services

from .support import (
    DEVELOPMENT_PAYMENT_WEBHOOK_SECRET, PASSWORD, ROOT, become_seller, completed_order, publish_gig, wait_for,
)

ECS_FIELDS = {"@timestamp", "log.level", "message", "ecs.version", "service.name"}
STARTED = re.compile(r"^(?P<name>\S+) started \(pid=\d+\)$")
SPECTACULAR_WARNING = re.compile(r"^(\S+: )?(Warning|Error)( \[[^\]]*\])?: ")


def entries(platform) -> list[platform_logs.Entry]:
    """The platform's output so far as `up` keeps it in var/log/platform.log (honcho's "HH:MM:SS process | line")."""
    parsed = (platform_logs.parse(line) for line in platform.log_path.read_text().splitlines())
    return [entry for entry in parsed if entry is not None]


def started_processes(platform) -> set[str]:
    return {match["name"] for entry in entries(platform) if entry.process == "system"
            for match in [STARTED.match(entry.text)] if match}


def port_of(platform, name: str) -> int:
    slot = next(spec.slot for spec in ALL_SERVICES if spec.name == name)
    return int(platform.env["MARKETPLACE_PORT_BASE"]) + slot


def scrape(url: str) -> dict:
    response = httpx.get(url, timeout=5)
    assert response.status_code == 200, (url, response.status_code)
    return {(sample.name, frozenset(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(response.text) for sample in family.samples}


def total(samples: dict, name: str, **labels) -> float:
    wanted = set(labels.items())
    return sum(value for (sample, found), value in samples.items() if sample == name and wanted <= found)


# --- logs --------------------------------------------------------------------------------------

def test_every_process_writes_ecs_json_lines(platform, gateway, session):
    assert gateway.get("/api/auth/me", headers=session.auth()).status_code == 200
    time.sleep(1.2)  # nginx flushes its buffered access log every second
    processes = started_processes(platform)
    assert {"nginx", "gateway", "auth", "auth-relay", "users-worker"} <= processes, processes
    records = [entry for entry in entries(platform) if entry.record is not None]
    for entry in records:
        assert ECS_FIELDS <= set(entry.record), entry.text
    by_process = {entry.process for entry in records}
    assert processes <= by_process, f"no JSON line from {sorted(processes - by_process)}"
    # Web and relay processes write nothing but JSON (workers also print Celery's banner), except
    # drf-spectacular's schema warnings, which it prints on stderr itself (no logger to route).
    plain = [entry for entry in entries(platform) if entry.record is None and entry.process in processes
             and not entry.process.endswith(("-worker", "-beat")) and entry.process != "nginx"
             and not SPECTACULAR_WARNING.match(entry.text)]
    assert not plain, [f"{entry.process}: {entry.text}" for entry in plain[:10]]
    access = [entry.record for entry in records if entry.record.get("event.dataset") in ("marketplace.access",
                                                                                          "nginx.access")]
    assert access and all(record.get("trace.id") and record.get("http.request.method") and record.get("url.path")
                          and isinstance(record.get("http.response.status_code"), int)
                          and isinstance(record.get("event.duration"), int) for record in access)


def test_one_request_is_followed_through_the_gateway_the_service_and_its_events(platform, gateway):
    request_id = f"obs-{uuid.uuid4().hex}"
    tag = uuid.uuid4().hex[:10]
    response = gateway.post("/api/auth/register", headers={"X-Request-ID": request_id},
                            json={"email": f"obs-{tag}@example.com", "username": f"obs_{tag}", "password": PASSWORD})
    assert response.status_code == 201, response.text

    def lines_of_the_request():
        found = {}
        for entry in entries(platform):
            if request_id in platform_logs.ids_of(entry):
                found.setdefault(entry.process, []).append(entry.record)
        # (Not the gateway app's: nginx caches its verdict on a public route for a few seconds;
        # test_gateway follows a request with a token of its own through it.)
        wanted = {"nginx", "auth", "users-worker", "notifications-worker"}
        return found if wanted <= set(found) else None

    found = wait_for(lines_of_the_request, timeout=30, interval=0.3,
                     what="the request's id in nginx's, auth's and the consumers' lines")
    [nginx] = found["nginx"]
    assert nginx["url.path"] == "/api/auth/register" and nginx["http.response.status_code"] == 201
    auth_access = [record for record in found["auth"] if record.get("event.dataset") == "marketplace.access"]
    assert auth_access and auth_access[0]["http.response.status_code"] == 201
    for worker in ("users-worker", "notifications-worker"):
        handled = [record for record in found[worker] if record["message"] == "event_handled"]
        assert handled, found[worker]
        assert handled[0]["marketplace.event_type"] == "user.registered"
        assert handled[0]["marketplace.correlation_id"] == request_id
        assert handled[0]["service.name"] == worker.removesuffix("-worker")

    # The same request, as `manage_all.py logs --request-id` prints it.
    printed = subprocess.run([sys.executable, str(ROOT / "manage_all.py"), "logs", "--request-id", request_id,
                              "--file", str(platform.log_path)], capture_output=True, text=True, timeout=60,
                             env=platform.env)
    assert printed.returncode == 0, printed.stderr
    shown = printed.stdout.splitlines()
    for process in ("nginx", "auth", "users-worker", "notifications-worker"):
        assert any(line.split()[1] == process for line in shown if line[:1].isdigit()), (process, printed.stdout)
    assert any("POST /api/auth/register 201" in line for line in shown)
    assert any("event_handled user.registered" in line for line in shown)
    assert all(request_id in line for line in shown if line[:1].isdigit())


def test_logs_filters_by_service(platform, gateway, session):
    gateway.get("/api/users/me", headers=session.auth())
    printed = subprocess.run([sys.executable, str(ROOT / "manage_all.py"), "logs", "users", "--file",
                              str(platform.log_path)], capture_output=True, text=True, timeout=60, env=platform.env)
    assert printed.returncode == 0, printed.stderr
    processes = {line.split()[1] for line in printed.stdout.splitlines() if line[:1].isdigit()}
    assert processes and processes <= {"users", "users-relay", "users-worker", "users-beat"}, processes


def test_no_secret_reaches_any_log_line(platform, gateway, session):
    """A password, access and refresh tokens, a socket's ?token= and a webhook's signature all go
    through nginx and the services; none of them may be in the platform's output."""
    login = gateway.post("/api/auth/login", json={"email": session.email, "password": session.password})
    assert login.status_code == 200
    wrong = f"wrong {uuid.uuid4().hex} passphrase"
    assert gateway.post("/api/auth/login", json={"email": session.email, "password": wrong}).status_code == 401
    refreshed = gateway.post("/api/auth/refresh", json={"refresh": session.refresh})
    assert refreshed.status_code == 200
    access, refresh = refreshed.json()["access"], refreshed.json()["refresh"]
    assert gateway.get("/api/auth/me", headers={"Authorization": f"Bearer {access}"}).status_code == 200
    socket_url = platform.base_url.replace("http://", "ws://") + f"/ws/chat/?token={access}"
    with connect(socket_url):
        pass
    signature = f"t={int(time.time())},v1={uuid.uuid4().hex * 2}"
    webhook = gateway.post("/api/payments/webhooks/sandbox", headers={"X-Payment-Signature": signature},
                           content=b'{"id": "evt_x", "type": "payment.succeeded", "data": {}}')
    assert webhook.status_code == 400
    time.sleep(1.5)  # nginx's buffered access lines

    text = platform.log_path.read_text() + platform.console_path.read_text()
    for secret in (session.password, wrong, session.refresh, access, refresh, signature.split("v1=")[1],
                   DEVELOPMENT_PAYMENT_WEBHOOK_SECRET):
        assert secret not in text, f"a secret reached the log: {secret[:12]}..."
    # The tokens' signatures alone would be enough to find a leak of any shape.
    for token in (access, refresh):
        assert token.rsplit(".", 1)[1] not in text


# --- metrics -----------------------------------------------------------------------------------

def test_every_web_process_answers_metrics_and_counts_requests(platform, gateway):
    ports = [int(platform.env["MARKETPLACE_PORT_BASE"])]  # the gateway's Django app
    for spec in present_services():
        # Socket services run two processes here (Redis joins them), each answering for itself.
        ports.extend(port_of(platform, spec.name) + 100 * index for index in range(2 if spec.asgi else 1))
    for port in ports:
        assert "django_http_requests_total_by_method_total" in str(scrape(f"http://127.0.0.1:{port}/metrics"))
    # Two gunicorn workers share the counts: whichever answers, it answers for both.
    url = f"http://127.0.0.1:{port_of(platform, 'auth')}/metrics"
    before = total(scrape(url), "django_http_responses_total_by_status_total", status="200")
    for _ in range(6):
        assert gateway.get("/api/auth/healthz").status_code == 200
    after = total(scrape(url), "django_http_responses_total_by_status_total", status="200")
    assert after - before >= 6


def test_relays_and_workers_export_event_metrics_that_count(platform, gateway):
    processes = started_processes(platform)
    auth_relay = f"http://127.0.0.1:{port_of(platform, 'auth') + PORT_OFFSETS['relay']}/metrics"
    users_worker = f"http://127.0.0.1:{port_of(platform, 'users') + PORT_OFFSETS['worker']}/metrics"
    for name in processes:
        service, _, role = name.rpartition("-")
        if role in PORT_OFFSETS:
            scrape(f"http://127.0.0.1:{port_of(platform, service) + PORT_OFFSETS[role]}/metrics")
    published = {"service": "auth", "event_type": "user.registered"}
    handled = {"service": "users", "event_type": "user.registered", "outcome": "applied"}
    published_before = total(scrape(auth_relay), "marketplace_events_published_total", **published)
    handled_before = total(scrape(users_worker), "marketplace_events_handled_total", **handled)
    timed_before = total(scrape(users_worker), "marketplace_events_handler_seconds_count",
                         service="users", event_type="user.registered")

    platform.register(gateway)

    wait_for(lambda: total(scrape(auth_relay), "marketplace_events_published_total", **published) > published_before,
             what="the relay to count user.registered")
    wait_for(lambda: total(scrape(users_worker), "marketplace_events_handled_total", **handled) > handled_before,
             what="the users worker to count user.registered as applied")
    assert total(scrape(users_worker), "marketplace_events_handler_seconds_count",
                 service="users", event_type="user.registered") > timed_before
    assert ("marketplace_outbox_lag_seconds", frozenset({("service", "auth")})) in scrape(auth_relay)


@pytest.mark.timeout(180)
def test_business_counters_count_orders_and_chat(platform, gateway):
    orders_url = f"http://127.0.0.1:{port_of(platform, 'orders')}/metrics"
    counters = ("marketplace_orders_placed_total", "marketplace_orders_paid_total",
                "marketplace_orders_completed_total")
    before = {name: total(scrape(orders_url), name) for name in counters}
    seller = become_seller(platform, gateway, platform.log_in(gateway, platform.register(gateway)))
    buyer = platform.log_in(gateway, platform.register(gateway))
    completed_order(platform, gateway, buyer, seller, publish_gig(gateway, seller, "Observable copywriting"))
    after = {name: total(scrape(orders_url), name) for name in counters}
    assert all(after[name] == before[name] + 1 for name in counters), (before, after)

    chat_port = port_of(platform, "chat")
    chat_urls = [f"http://127.0.0.1:{chat_port + 100 * index}/metrics" for index in range(2)]

    def chat_total(name: str) -> float:
        return sum(total(scrape(url), name) for url in chat_urls)

    sent_before = chat_total("marketplace_chat_messages_sent_total")
    with connect(platform.base_url.replace("http://", "ws://") + f"/ws/chat/?token={buyer.access}"):
        while_open = wait_for(lambda: chat_total("marketplace_chat_sockets_open"), what="an open socket counted")

        def conversation():
            response = gateway.post("/api/chat/conversations/", headers=buyer.auth(),
                                    json={"participant_id": seller.id})
            return response.json() if response.status_code in (200, 201) else None

        talk = wait_for(conversation, interval=0.2, what="user.registered to reach the chat service")
        sent = gateway.post(f"/api/chat/conversations/{talk['id']}/messages/", headers=buyer.auth(),
                            json={"body": "Counted once", "client_id": "metrics-1"})
        assert sent.status_code == 201, sent.text
    assert chat_total("marketplace_chat_messages_sent_total") == sent_before + 1
    wait_for(lambda: chat_total("marketplace_chat_sockets_open") < while_open, what="the closed socket uncounted")


# --- status ------------------------------------------------------------------------------------

def test_status_shows_readiness_and_the_event_backlog_of_every_service(platform):
    result = subprocess.run([sys.executable, str(ROOT / "manage_all.py"), "status"], capture_output=True, text=True,
                            timeout=180, env=platform.env)
    assert result.returncode == 0, result.stdout + result.stderr
    rows = {line.split()[0]: line.split() for line in result.stdout.splitlines()[1:] if line.strip()}
    for spec in present_services():
        assert rows[spec.name][2] == "ready", result.stdout
    assert "outbox lag" in result.stdout.splitlines()[0] and "dead letters" in result.stdout.splitlines()[0]
    assert f"gateway http://127.0.0.1:{platform.env['MARKETPLACE_GATEWAY_PORT']}: ok" in result.stdout
