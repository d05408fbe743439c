"""RFC 9457 problem details for every error a service answers.

DRF's exceptions go through :func:`exception_handler`; Django's own 400, 403,
404 and 500 pages through the ``handler*`` views that every service's URLconf
installs with :func:`install_error_handlers`. Either way the body is
``{"type", "title", "status", "detail", "errors"?, "request_id"}`` with
``Content-Type: application/problem+json``.
"""

from __future__ import annotations

import json
import sys
from http import HTTPStatus

import structlog
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.http import Http404, HttpResponse
from rest_framework import exceptions as drf_exceptions
from rest_framework import status as http
from rest_framework.response import Response

from . import outages
from .errors import DomainError, NotAuthenticated
from .request_context import current_request_id

PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "urn:marketplace:problem:"

log = structlog.get_logger(__name__)


class PayloadTooLarge(drf_exceptions.APIException):
    status_code = http.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "payload_too_large"


def problem_body(status: int, detail: str, *, code: str | None = None, errors=None, **extra) -> dict:
    phrase = HTTPStatus(status).phrase
    body = {
        "type": PROBLEM_TYPE_BASE + (code or phrase.lower().replace(" ", "_").replace("-", "_")),
        "title": phrase,
        "status": status,
        "detail": detail,
    }
    if errors:
        body["errors"] = errors
    body.update(extra)
    body["request_id"] = current_request_id()
    return body


def problem_response(status: int, detail: str, *, code: str | None = None, errors=None,
                     headers: dict | None = None, **extra) -> HttpResponse:
    """A plain Django response, for code paths outside DRF."""
    response = HttpResponse(
        json.dumps(problem_body(status, detail, code=code, errors=errors, **extra)),
        status=status,
        content_type=PROBLEM_CONTENT_TYPE,
    )
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def _field_errors(detail) -> dict[str, list[str]]:
    """DRF's nested ValidationError detail, flattened to {field: [messages]}."""
    if isinstance(detail, dict):
        flat: dict[str, list[str]] = {}
        for field, value in detail.items():
            for sub_field, messages in _field_errors(value).items():
                key = field if sub_field == "non_field_errors" else f"{field}.{sub_field}"
                flat.setdefault(key, []).extend(messages)
        return flat
    if isinstance(detail, list):
        if all(isinstance(item, (str, drf_exceptions.ErrorDetail)) for item in detail):
            return {"non_field_errors": [str(item) for item in detail]}
        flat = {}
        for index, item in enumerate(detail):
            for sub_field, messages in _field_errors(item).items():
                key = str(index) if sub_field == "non_field_errors" else f"{index}.{sub_field}"
                flat.setdefault(key, []).extend(messages)
        return flat
    return {"non_field_errors": [str(detail)]}


def exception_handler(exc, context):
    """DRF's EXCEPTION_HANDLER: every API error as problem+json."""
    if isinstance(exc, Http404):
        exc = drf_exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = drf_exceptions.PermissionDenied()
    elif isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge()
    elif isinstance(exc, TooManyFieldsSent):
        exc = drf_exceptions.ValidationError("Too many fields were sent.")

    if isinstance(exc, DomainError):
        return _domain_error_response(exc)
    if not isinstance(exc, drf_exceptions.APIException):
        return None  # a bug: Django's handler500 answers, and the error is logged

    headers = {}
    if isinstance(exc, (drf_exceptions.NotAuthenticated, drf_exceptions.AuthenticationFailed)):
        request = context.get("request")
        authenticator = getattr(request, "_authenticator", None) or (
            request.authenticators[0] if request is not None and request.authenticators else None
        )
        if authenticator is not None:
            exc.status_code = http.HTTP_401_UNAUTHORIZED
            headers["WWW-Authenticate"] = authenticator.authenticate_header(request)
    if isinstance(exc, drf_exceptions.Throttled) and exc.wait is not None:
        headers["Retry-After"] = str(max(1, int(exc.wait + 0.999)))

    errors = None
    if isinstance(exc, drf_exceptions.ValidationError):
        errors = _field_errors(exc.detail)
        detail = "The request has invalid fields."
        code = "validation_error"
    else:
        detail = str(exc.detail) if not isinstance(exc.detail, (dict, list)) else "Request refused."
        code = exc.get_codes() if isinstance(exc.get_codes(), str) else exc.default_code
    body = problem_body(exc.status_code, detail, code=code, errors=errors)
    return Response(body, status=exc.status_code, headers=headers, content_type=PROBLEM_CONTENT_TYPE)


def _domain_error_response(exc: DomainError) -> Response:
    headers = {}
    if exc.retry_after is not None:
        headers["Retry-After"] = str(exc.retry_after)
    if isinstance(exc, NotAuthenticated):
        headers["WWW-Authenticate"] = 'Bearer realm="marketplace"'
    body = problem_body(exc.status, exc.detail, code=exc.code, errors=exc.errors)
    return Response(body, status=exc.status, headers=headers, content_type=PROBLEM_CONTENT_TYPE)


# --- Django's own error views --------------------------------------------------------------

def bad_request(request, exception=None):
    if isinstance(exception, RequestDataTooBig):
        return problem_response(413, "The request body is too large.", code="payload_too_large")
    return problem_response(400, "The request could not be understood.", code="bad_request")


def permission_denied(request, exception=None):
    return problem_response(403, "You do not have permission to perform this action.")


def page_not_found(request, exception=None):
    return problem_response(404, "Not found.", code="not_found")


def server_error(request):
    # Django calls this inside its except block: the error being handled is sys.exc_info()'s.
    if outages.is_outage(sys.exc_info()[1]):
        return outages.unavailable_response()
    return problem_response(500, "An unexpected error occurred; it has been logged.", code="server_error")


def install_error_handlers(urlconf_globals: dict) -> None:
    """Call from a service's ROOT_URLCONF: ``install_error_handlers(globals())``."""
    urlconf_globals.update(
        handler400=f"{__name__}.bad_request",
        handler403=f"{__name__}.permission_denied",
        handler404=f"{__name__}.page_not_found",
        handler500=f"{__name__}.server_error",
    )
