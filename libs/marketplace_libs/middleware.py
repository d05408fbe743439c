"""Middleware every service installs: request ids and one access-log line per request."""

from __future__ import annotations

import functools
import ipaddress
import time

import structlog

from .config import DEFAULT_TRUSTED_PROXIES
from .files import links
from .request_context import accept_request_id, request_id_var, user_id_var

access_log = structlog.get_logger("marketplace.access")
METRICS_PATH = "/metrics"
# A signed download link is a bearer credential for its 5 minutes: logs keep only that it was one.
LOGGED_SIGNED_LINK = links.PREFIX + "[signed-link]"


def loggable_path(path: str) -> str:
    return LOGGED_SIGNED_LINK if path.startswith(links.PREFIX) else path


class RequestIdMiddleware:
    """Takes the caller's X-Request-ID (or makes one) and returns it on every response."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = accept_request_id(request.headers.get("X-Request-ID"))
        request.request_id = request_id
        request_token = request_id_var.set(request_id)
        user_token = user_id_var.set(None)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(request_token)
        response["X-Request-ID"] = request_id
        self._log(request, response, started, request_id)
        user_id_var.reset(user_token)
        return response

    @staticmethod
    def _log(request, response, started, request_id):
        user = getattr(request, "user", None)
        user_id = str(user.pk) if getattr(user, "is_authenticated", False) else user_id_var.get()
        # Prometheus scrapes every few seconds: those lines only at debug level.
        write = access_log.debug if request.path == METRICS_PATH else access_log.info
        # ECS fields (logging_setup maps request_id, user_id and duration_ms to theirs). The path
        # only: a query string may carry a token.
        write(
            "request",
            request_id=request_id,
            user_id=user_id,
            duration_ms=round((time.perf_counter() - started) * 1000, 2),
            **{
                "http.request.method": request.method,
                "url.path": loggable_path(request.path),
                "http.response.status_code": response.status_code,
                "client.ip": client_address(request),
            },
        )


class ProblemFallbackMiddleware:
    """Turns Django's bare error responses (an empty 405, a CSRF 403...) on API paths into problem+json.

    DRF's errors and the ``handler*`` views already answer problem+json; this catches the rest,
    so no client of the API ever has to parse an HTML error page.
    """

    _PASS_THROUGH_PREFIXES = ("/admin/", "/static/")
    _KEPT_HEADERS = ("Allow", "Retry-After", "WWW-Authenticate")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if self._body_too_large(request):
            # DRF's parsers read the body as a stream, which skips Django's own size check.
            from .problems import problem_response

            return problem_response(413, _detail_for(413), code="payload_too_large")
        response = self.get_response(request)
        if response.status_code < 400 or request.path.startswith(self._PASS_THROUGH_PREFIXES):
            return response
        content_type = response.get("Content-Type", "")
        if content_type.startswith(("application/problem+json", "application/json")):
            return response
        from .problems import problem_response  # late: problems imports DRF settings

        replacement = problem_response(response.status_code, _detail_for(response.status_code))
        for header in self._KEPT_HEADERS:
            if header in response:
                replacement[header] = response[header]
        return replacement

    def _body_too_large(self, request) -> bool:
        from django.conf import settings

        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if limit is None or request.path.startswith(self._PASS_THROUGH_PREFIXES):
            return False
        if request.content_type == "multipart/form-data":
            return False  # Django's multipart parser applies the limit to fields, not files
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return False
        return length > limit


def _detail_for(status: int) -> str:
    return {
        403: "You do not have permission to perform this action.",
        404: "Not found.",
        405: "This method is not allowed on this resource.",
        413: "The request body is too large.",
    }.get(status, "The request could not be completed.")


def client_address(request) -> str:
    """The caller's address: nginx's X-Real-IP when the request came from a trusted proxy.

    nginx itself takes the address from X-Forwarded-For only from the same proxies (set_real_ip_from,
    rendered from MARKETPLACE_TRUSTED_PROXIES), so a client cannot choose the address it is counted by.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    if _is_trusted_proxy(remote):
        forwarded = request.META.get("HTTP_X_REAL_IP", "").strip()
        if forwarded:
            return forwarded[:64]
    return remote


def _is_trusted_proxy(address: str) -> bool:
    from django.conf import settings

    return _is_within(address, tuple(getattr(settings, "MARKETPLACE_TRUSTED_PROXIES", DEFAULT_TRUSTED_PROXIES)))


@functools.lru_cache(maxsize=1024)  # a web process hears from a few proxies: parsed once, not per request
def _is_within(address: str, listed: tuple[str, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in _networks(listed))


@functools.lru_cache(maxsize=8)
def _networks(listed: tuple[str, ...]) -> tuple:
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in listed)
