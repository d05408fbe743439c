"""The gateway's own behaviour: routing, request ids, errors as problem+json, health and docs."""

from __future__ import annotations

import json
import re
import time
import uuid

import pytest

from marketplace_libs.logging_setup import flatten
from marketplace_libs.topology import ALL_SERVICES

from .support import PASSWORD, assert_problem


def test_the_request_id_is_kept_when_sent_and_made_when_not(gateway):
    mine = f"client-{uuid.uuid4().hex}"
    assert gateway.get("/api/auth/healthz", headers={"X-Request-ID": mine}).headers["x-request-id"] == mine
    made = gateway.get("/api/auth/healthz").headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", made)
    junk = gateway.get("/api/auth/healthz", headers={"X-Request-ID": "bad id\twith spaces" + "x" * 200})
    assert re.fullmatch(r"[0-9a-f]{32}", junk.headers["x-request-id"])


def test_the_request_id_reaches_every_log_on_the_way(platform, gateway, session):
    mine = f"trace-{uuid.uuid4().hex}"
    assert gateway.get("/api/auth/me", headers={**session.auth(), "X-Request-ID": mine}).status_code == 200
    deadline = time.monotonic() + 5  # nginx writes its line after the response has gone
    while True:
        # ECS lines (docs/observability.md), their fields under dotted names.
        lines = [flatten(json.loads(line.split("| ", 1)[1]))
                 for line in platform.log_path.read_text().splitlines() if mine in line]
        services = {line["service.name"] for line in lines}
        if {"nginx", "gateway", "auth"} <= services or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert {"nginx", "gateway", "auth"} <= services, lines
    auth_line = next(line for line in lines if line["service.name"] == "auth")
    assert auth_line["user.id"] == session.id and auth_line["http.response.status_code"] == 200


def test_platform_health_reports_every_service_up_and_no_more(gateway):
    response = gateway.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["services"].values()) == {"up"} and "auth" in body["services"]
    assert set(body["services"]) == {spec.name for spec in ALL_SERVICES}
    assert "details" not in body


def test_platform_health_details_are_for_staff(platform, gateway):
    staff = platform.register(gateway)
    platform.manage("auth", "shell", "-c",
                    f"from accounts.models import User; User.objects.filter(pk='{staff.id}').update(is_staff=True)")
    platform.log_in(gateway, staff)
    body = gateway.get("/healthz", headers=staff.auth()).json()
    assert body["details"]["auth"]["status"] == "ready"
    assert set(body["details"]["auth"]["checks"]) >= {"database", "cache", "broker"}


@pytest.mark.parametrize("path", ["/api/auth/healthz", "/api/auth/readyz",
                                  "/api/payments/healthz", "/api/payments/readyz"])
def test_service_health_through_the_gateway(gateway, path):
    assert gateway.get(path).status_code == 200


def test_schema_and_docs_page(gateway):
    schema = gateway.get("/api/auth/schema/", headers={"Accept": "application/json"})
    assert schema.status_code == 200
    assert "/api/auth/login" in schema.text
    docs = gateway.get("/api/docs/")
    assert docs.status_code == 200 and "swagger-ui" in docs.text and "/api/auth/schema/" in docs.text
    for asset in re.findall(r'(?:src|href)="(/static/gateway/[^"]+)"', docs.text):
        assert gateway.get(asset).status_code == 200, asset


@pytest.mark.parametrize("path", ["/api/nothing/here", "/nowhere", "/api/auth/no-such-endpoint"])
def test_unknown_paths_are_404_problems(gateway, session, path):
    assert_problem(gateway.get(path, headers=session.auth()), 404)


def test_unknown_paths_of_a_service_need_a_token_first(gateway):
    """Only the routes listed as public skip the token: nothing else is even looked up without one."""
    assert_problem(gateway.get("/api/auth/no-such-endpoint"), 401)


@pytest.mark.parametrize("method,path", [("DELETE", "/api/auth/me"), ("GET", "/api/auth/logout"),
                                         ("PUT", "/api/auth/password/change")])
def test_a_wrong_method_is_405_problem(gateway, session, method, path):
    body = assert_problem(gateway.request(method, path, headers=session.auth()), 405)
    assert "not allowed" in body["detail"]


def test_malformed_json_is_400_problem(gateway):
    response = gateway.post("/api/auth/login", content=b'{"email": "a@b.c", "password": ', 
                            headers={"Content-Type": "application/json"})
    assert_problem(response, 400)


@pytest.mark.parametrize("payload,field", [
    ({"email": 12345, "username": "valid_name", "password": PASSWORD}, "email"),
    ({"email": "not-an-email", "username": "valid_name", "password": PASSWORD}, "email"),
    ({"email": "a@example.com", "username": ["a", "list"], "password": PASSWORD}, "username"),
    ({"email": "a@example.com", "username": "valid_name", "password": None}, "password"),
    ({"username": "valid_name", "password": PASSWORD}, "email"),
    ({"email": "a@example.com", "username": "'; DROP TABLE accounts_user; --", "password": PASSWORD}, "username"),
    ({"email": "a@example.com", "username": "x" * 500, "password": PASSWORD}, "username"),
    ({"email": "a@example.com", "username": "zero\u0000byte", "password": PASSWORD}, "username"),
])
def test_bad_registration_input_is_400_with_the_field_named(platform, gateway, payload, field):
    assert_problem(gateway.post("/api/auth/register", json=payload), 400, field=field)
    with platform.database("auth") as db:  # the table is intact and nothing was created
        assert db.execute("SELECT count(*) FROM accounts_user WHERE email = 'a@example.com'").fetchone()[0] == 0


def test_a_json_array_body_is_400(gateway):
    assert_problem(gateway.post("/api/auth/login", json=["email", "password"]), 400)


def test_unicode_usernames_and_sql_ish_passwords_are_just_data(platform, gateway):
    tag = uuid.uuid4().hex[:6]
    user = platform.register(gateway, username=f"ñandú_{tag}", password="' OR '1'='1 --; ünïcødé ✓")
    platform.log_in(gateway, user)
    assert gateway.get("/api/auth/me", headers=user.auth()).json()["username"] == f"ñandú_{tag}"


def test_a_body_over_the_gateway_limit_is_413_problem(gateway):
    response = gateway.post("/api/auth/login", content=b"x" * (11 * 1024 * 1024),
                            headers={"Content-Type": "application/json"})
    assert_problem(response, 413)


def test_a_json_body_over_the_service_limit_is_413_problem(gateway):
    huge = {"email": "a@example.com", "password": "p" * (2 * 1024 * 1024)}
    assert_problem(gateway.post("/api/auth/login", json=huge), 413)


def test_staff_sign_in_to_the_admin_sets_the_single_sign_on_cookie(platform, gateway):
    staff = platform.register(gateway)
    platform.manage("auth", "shell", "-c",
                    f"from accounts.models import User; User.objects.filter(pk='{staff.id}').update(is_staff=True)")
    login_page = gateway.get("/admin/auth/login/")
    assert login_page.status_code == 200
    csrf = gateway.cookies.get("auth_csrftoken")
    response = gateway.post("/admin/auth/login/?next=/admin/auth/", data={
        "username": staff.email, "password": staff.password, "csrfmiddlewaretoken": csrf, "next": "/admin/auth/"},
        headers={"Referer": f"{platform.base_url}/admin/auth/login/"})
    assert response.status_code == 302, response.text[:500]
    assert "marketplace_admin_token" in response.headers.get("set-cookie", "")
    assert "Path=/admin/" in response.headers["set-cookie"] and "HttpOnly" in response.headers["set-cookie"]
    assert gateway.get("/admin/auth/").status_code == 200
