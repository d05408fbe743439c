"""What a service handles: ``@handles("order.completed")`` next to the handler, in ``<app>/handlers.py``.

The events app imports every installed app's ``handlers`` module when Django starts, so the
registry is complete before the worker declares its queue bindings.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Callable

from .envelope import Event

Handler = Callable[[Event], None]

_handlers: dict[str, list[Handler]] = defaultdict(list)


def handles(event_type: str, *, version: int = 1):
    """Register the decorated function as a handler of ``event_type``.

    A handler runs inside the transaction that records the event in the inbox, so it is applied
    exactly once in effect; it must not have side effects outside the database (send those as
    tasks, or as events of its own through the outbox).
    """
    from . import catalogue

    catalogue.schema_for(event_type, version)  # an unknown type fails at import, not at 3 a.m.

    def register(function: Handler) -> Handler:
        if function not in _handlers[event_type]:
            _handlers[event_type].append(function)
        return function

    return register


def handlers_for(event_type: str) -> list[Handler]:
    return list(_handlers.get(event_type, ()))


def subscriptions() -> list[str]:
    return sorted(event_type for event_type, functions in _handlers.items() if functions)


def clear() -> None:
    """Tests only."""
    _handlers.clear()
