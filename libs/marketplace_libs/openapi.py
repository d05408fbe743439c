"""What every service's OpenAPI schema says beyond its serializers: the bearer token and the problems.

``DEFAULT_SCHEMA_CLASS`` is :class:`AutoSchema` in every service (``settings.service_settings``). It adds
to each operation the ``application/problem+json`` answers that the platform gives it:

- 400 when the operation takes a body or query parameters (every bad field at once, under ``errors``);
- 401 when it reads a token (a missing, expired or revoked one);
- 404 when its path names something, or when it is a page (a page past the end);
- 429 on every operation: the gateway limits requests per client address;
- and whatever a view method declares with :func:`problem_answers` (403, 409, 503...), which only
  the view knows.

The bearer scheme is declared once for :class:`~marketplace_libs.authentication.AccessTokenAuthentication`
(the docs page's Authorize button).
"""

from __future__ import annotations

from http import HTTPStatus

from drf_spectacular import openapi
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object, get_lib_doc_excludes
from rest_framework import serializers

from .outputs import OutputSerializer
from .problems import PROBLEM_CONTENT_TYPE

DEFAULT_MEANINGS = {
    400: "Invalid input: `errors` names every bad field at once, `{field: [messages]}`.",
    401: "No valid access token: log in or refresh it (`POST /api/auth/refresh`).",
    403: "The caller may not do this. A missing role (`code` `role_missing`) after becoming a seller "
         "means the token predates the role: refresh it.",
    404: "Not found, or not visible to the caller.",
    409: "Not possible in the current state.",
    413: "The request body is too large.",
    429: "Too many requests: wait `Retry-After` seconds.",
    503: "A service this request needs did not answer; nothing was changed. Try again later.",
}

RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait before trying again.",
                               "schema": {"type": "integer", "minimum": 1}}}


def doc_excludes() -> list[type]:
    """Classes whose docstring is not a schema's description (``GET_LIB_DOC_EXCLUDES``): DRF's, and
    OutputSerializer's, which says how responses are rendered, not what a response is."""
    return [*get_lib_doc_excludes(), OutputSerializer]


class ProblemOutput(OutputSerializer):
    """An error (RFC 9457 problem details), always with ``Content-Type: application/problem+json``."""

    type = serializers.CharField(help_text="`urn:marketplace:problem:<code>`; the code is stable, match on it.")
    title = serializers.CharField(help_text="The HTTP status phrase.")
    status = serializers.IntegerField()
    detail = serializers.CharField(help_text="What went wrong and what to do, for a person.")
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()), required=False,
                                   help_text="400 only: every bad field and its messages.")
    request_id = serializers.CharField(help_text="Also the `X-Request-ID` header: quote it when reporting.")


def problem_answers(*answers: int | tuple[int, str]):
    """Declares the problems a view method answers besides the automatic ones, e.g.
    ``@problem_answers(403, (409, "The order is not delivered yet."))``."""

    def mark(method):
        method.problem_answers = tuple(answer if isinstance(answer, tuple) else (answer, DEFAULT_MEANINGS[answer])
                                       for answer in answers)
        return method

    return mark


class AccessTokenScheme(OpenApiAuthenticationExtension):
    target_class = "marketplace_libs.authentication.AccessTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        scheme = build_bearer_security_scheme_object(header_name="Authorization", token_prefix="Bearer",
                                                     bearer_format="JWT")
        scheme["description"] = ("The `access` token of `POST /api/auth/login` (or `/api/auth/refresh`). "
                                 "It lives 15 minutes and carries the caller's roles as they were when issued.")
        return scheme


class AutoSchema(openapi.AutoSchema):
    def get_operation_id(self) -> str:
        # The service's own collection (/api/gigs/, /api/gigs/{id}/) is named after the service: gigs_list,
        # gigs_retrieve, rather than drf-spectacular's root_list, which generated clients turn into names.
        operation_id = super().get_operation_id()
        return f"{self._service()}{operation_id[4:]}" if operation_id.startswith("root_") else operation_id

    def get_tags(self) -> list[str]:
        return super().get_tags() or [self._service()]

    def _service(self) -> str:
        return self.path.split("/")[2]

    def get_operation(self, *args, **kwargs):
        operation = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        responses = operation["responses"]
        for status, meaning in self._problem_answers(operation):
            responses.setdefault(str(status), self._problem_response(status, meaning))
        operation["responses"] = dict(sorted(responses.items()))
        return operation

    def _problem_answers(self, operation) -> list[tuple[int, str]]:
        parameters = operation.get("parameters", [])
        answers = []
        if "requestBody" in operation or any(parameter["in"] == "query" for parameter in parameters):
            answers.append((400, DEFAULT_MEANINGS[400]))
        if any(requirement for requirement in operation.get("security", [])):
            answers.append((401, DEFAULT_MEANINGS[401]))
        if any(parameter["in"] == "path" for parameter in parameters) or self._is_page(operation):
            answers.append((404, DEFAULT_MEANINGS[404]))
        answers.append((429, DEFAULT_MEANINGS[429]))
        method = getattr(self.view, self.method.lower(), None)
        answers.extend(getattr(method, "problem_answers", ()))
        return answers

    def _is_page(self, operation) -> bool:
        return any(parameter["in"] == "query" and parameter["name"] in ("page", "cursor")
                   for parameter in operation.get("parameters", []))

    def _problem_response(self, status: int, meaning: str) -> dict:
        response = {
            "description": f"{HTTPStatus(status).phrase}. {meaning}",
            "content": {PROBLEM_CONTENT_TYPE: {"schema": self.resolve_serializer(ProblemOutput, "response").ref}},
        }
        if status in (409, 429, 503):
            response["headers"] = RETRY_AFTER
        return response
