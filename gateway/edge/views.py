"""The gateway's own endpoints."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from urllib.parse import quote, urlsplit

import httpx
from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from marketplace_libs.authentication import bearer_token
from marketplace_libs.files.links import LinkRefused, verified_link
from marketplace_libs.problems import problem_response
from marketplace_libs.tokens import TokenRejected, get_verifier
from marketplace_libs.topology import present_services

from .memo import Memo
from .public_routes import IGNORED, public_route_for

HEALTH_CACHE_SECONDS = 5


def _allowed(token=None) -> HttpResponse:
    # 200 rather than 204: nginx caches the answer (and its headers) for a few seconds.
    response = HttpResponse(status=200)
    if token is not None:
        response["X-User-Id"] = token.user_id
        response["X-Username"] = token.username
        response["X-User-Roles"] = ",".join(token.roles)
    return response


def _refused(rejection: TokenRejected) -> HttpResponse:
    # nginx reads X-Auth-Error to word its own 401 (the body of a subrequest never reaches the client).
    return problem_response(401, rejection.detail, code=rejection.code, headers={"X-Auth-Error": rejection.code})


def verify(request):
    """nginx ``auth_request``: may this request pass, and as whom?"""
    method = request.headers.get("X-Original-Method", "GET")
    path = urlsplit(request.headers.get("X-Original-URI", "/")).path
    route = public_route_for(method, path)
    if route is not None and route.token == IGNORED:
        return _allowed()
    try:
        raw = bearer_token(request.headers.get("Authorization"))
        if raw is None:
            if route is not None:
                return _allowed()
            raise TokenRejected("token_missing", "Authentication credentials were not provided.")
        return _allowed(get_verifier().verify(raw))
    except TokenRejected as rejection:
        return _refused(rejection)


def _readiness(spec) -> tuple[str, dict]:
    try:
        response = httpx.get(f"{spec.local_url}/readyz", timeout=3.0)
        body = response.json()
        return spec.name, {"status": body.get("status", "unavailable"), "checks": body.get("checks", {})}
    except (httpx.HTTPError, ValueError) as error:
        return spec.name, {"status": "unreachable", "error": f"{type(error).__name__}: {error}"[:200]}


def _fan_out() -> dict[str, dict]:
    services = present_services()
    with ThreadPoolExecutor(max_workers=max(1, len(services))) as pool:
        return dict(pool.map(_readiness, services))


# Asking every service costs each of them a database, cache and broker check: anyone may ask
# /healthz, so the answer is reused for a few seconds (and computed once however many ask meanwhile).
_readiness_of_services = Memo(_fan_out, seconds=HEALTH_CACHE_SECONDS)


def _is_staff(request) -> bool:
    try:
        raw = bearer_token(request.headers.get("Authorization"))
        return raw is not None and get_verifier().verify(raw).has_role("staff")
    except TokenRejected:
        return False


@require_GET
def platform_health(request):
    """Up or down per service for anyone; what each one checked (and why it failed) for staff only."""
    results = _readiness_of_services.get()
    healthy = all(result["status"] == "ready" for result in results.values())
    body = {
        "status": "ok" if healthy else "degraded",
        "gateway": "ok",
        "services": {name: "up" if result["status"] == "ready" else "down" for name, result in results.items()},
    }
    if _is_staff(request):
        body["details"] = results
    return JsonResponse(body, status=200 if healthy else 503)


@require_GET
def docs(request):
    """One Swagger UI page over every service's OpenAPI schema."""
    schemas = [{"name": spec.name, "url": f"/api/{spec.name}/schema/"} for spec in present_services()]
    return render(request, "edge/docs.html", {"schemas": schemas, "static_prefix": settings.STATIC_URL})


@require_GET  # HEAD too
def stored_file(request, token: str):
    """A signed download link (marketplace_libs.files.links): checked here, the bytes sent by nginx
    from its internal ``/_stored/`` location. A bad or tampered link is 404, an expired one 403; either
    way no bytes."""
    try:
        link = verified_link(token)
    except LinkRefused as refused:
        if refused.reason == "expired":
            return problem_response(403, "This download link has expired; ask for a new one.", code="link_expired")
        return problem_response(404, "No such file.", code="not_found")
    response = HttpResponse(status=200, content_type=link.content_type)
    response["X-Accel-Redirect"] = quote(link.internal_path)
    response["Content-Disposition"] = link.disposition
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    # The link is the permission: a shared cache must not answer it for someone else, a browser may
    # keep it no longer than the link lives.
    response["Cache-Control"] = f"private, max-age={link.seconds_left()}"
    return response
