"""The relay's and the batch consumer's database connection, looked after once a second, not per batch.

``close_old_connections()`` with ``CONN_HEALTH_CHECKS`` makes the next statement wait for a
``SELECT 1`` first: called per batch, that was one more round trip (and backend work) per event
whenever events arrive one at a time (docs/performance.md, issue 25). Called at most once per
``interval`` instead, it still retires a connection past ``CONN_MAX_AGE``; a connection that broke
in between fails its next statement, and both callers close it then (the relay on DatabaseError,
the consumer's one-by-one path on OperationalError), so nothing waits on a dead connection.
"""

from __future__ import annotations

import time

from django.db import close_old_connections


class ConnectionUpkeep:
    def __init__(self, interval: float = 1.0):
        self.interval = interval
        self._last = float("-inf")

    def __call__(self) -> None:
        now = time.monotonic()
        if now - self._last >= self.interval:
            self._last = now
            close_old_connections()
