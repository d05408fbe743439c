"""Errors that domain code raises, free of any HTTP framework.

Services and selectors raise these; the problem+json exception handler maps
each to its status, so views stay thin and the domain never imports DRF.
"""

from __future__ import annotations


class DomainError(Exception):
    status = 400
    code = "bad_request"
    default_detail = "The request was refused."
    retry_after: int | None = None  # seconds after which trying again may succeed (the Retry-After header)

    def __init__(self, detail: str | None = None, *, errors: dict[str, list[str]] | None = None):
        self.detail = detail or self.default_detail
        self.errors = errors
        super().__init__(self.detail)


class InvalidInput(DomainError):
    status, code, default_detail = 400, "validation_error", "The request has invalid fields."

    @classmethod
    def on(cls, field: str, *messages: str) -> "InvalidInput":
        return cls(errors={field: list(messages)})


class NotAuthenticated(DomainError):
    status, code, default_detail = 401, "not_authenticated", "Authentication failed."


class Forbidden(DomainError):
    status, code, default_detail = 403, "permission_denied", "You do not have permission to perform this action."


class NotFound(DomainError):
    status, code, default_detail = 404, "not_found", "Not found."


class Conflict(DomainError):
    status, code, default_detail = 409, "conflict", "The request conflicts with the current state."


class NotYet(Conflict):
    """Refused because a fact has not reached this service yet (events take a second or two): the client
    should retry after ``retry_after`` seconds. ``code`` names the fact being waited for."""

    def __init__(self, detail: str, *, code: str, retry_after: int):
        super().__init__(detail)
        self.code = code
        self.retry_after = max(1, int(retry_after))


class TooLarge(DomainError):
    status, code, default_detail = 413, "payload_too_large", "The request body is too large."


class RateLimited(DomainError):
    status, code, default_detail = 429, "rate_limited", "Too many attempts; try again later."

    def __init__(self, retry_after: int, detail: str | None = None):
        super().__init__(detail)
        self.retry_after = max(1, int(retry_after))


class Unavailable(DomainError):
    """A service we depend on (a payment provider) did not answer; nothing was changed."""

    status, code, default_detail = 503, "unavailable", "A service this request needs is unavailable; try again later."
