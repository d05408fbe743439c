"""A server the platform depends on (PostgreSQL, Redis, RabbitMQ) not answering is an outage, not a bug.

The answer is 503 problem+json with ``Retry-After``, never a 500: the client did nothing wrong, and
trying again shortly is the right thing to do. Nothing is let through on the way: a token whose
revocation cannot be looked up is refused with the 503 (revocation fails closed).
"""

from __future__ import annotations

RETRY_AFTER_SECONDS = 5
DETAIL = "A server this request needs is not answering; try again shortly."


def _outage_types() -> tuple[type[BaseException], ...]:
    from django.db import InterfaceError, OperationalError
    from django_redis.exceptions import ConnectionInterrupted
    from kombu.exceptions import OperationalError as BrokerError
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError

    return (OperationalError, InterfaceError, ConnectionInterrupted, RedisConnectionError, RedisTimeoutError,
            BrokerError, ConnectionError)


def is_outage(error: BaseException | None) -> bool:
    """Whether ``error``, or what it was raised from, is a server that did not answer."""
    types = _outage_types()
    seen = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, types):
            return True
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return False


def unavailable_response():
    from .problems import problem_response

    return problem_response(503, DETAIL, code="service_unavailable",
                            headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
