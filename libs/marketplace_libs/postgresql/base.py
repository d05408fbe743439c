"""Django's PostgreSQL backend, whose connection health check is skipped right after a good request.

With persistent connections (``CONN_MAX_AGE``) and ``CONN_HEALTH_CHECKS``, Django sends a
``SELECT 1`` before the first statement of every request, so that a connection the server dropped
meanwhile is replaced instead of failing the request. Under load that is a round trip per request
for connections that answered a moment ago (docs/performance.md, issue 24). Here the check is left
out when the connection ended its previous request without an error less than
``HEALTH_CHECK_INTERVAL`` seconds ago; an idle connection is still checked. What that costs: a server
restarted within that second fails the first statement on each such connection, which the request
answers with a 503 problem and Django then closes the connection (it had an error), as it does for
a server that goes away in the middle of a request.
"""

from __future__ import annotations

import time

from django.db.backends.postgresql import base

HEALTH_CHECK_INTERVAL = 1.0


class DatabaseWrapper(base.DatabaseWrapper):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._used_since_checked = False
        self._answered_at = float("-inf")

    def create_cursor(self, name=None):
        self._used_since_checked = True
        return super().create_cursor(name)

    def close_if_unusable_or_obsolete(self):
        answered = self.connection is not None and self._used_since_checked and not self.errors_occurred
        super().close_if_unusable_or_obsolete()
        self._used_since_checked = False
        if answered and self.connection is not None:
            self._answered_at = time.monotonic()

    def close_if_health_check_failed(self):
        if (self.connection is not None and not self.health_check_done
                and time.monotonic() - self._answered_at < HEALTH_CHECK_INTERVAL):
            self.health_check_done = True
            return
        super().close_if_health_check_failed()

    def connect(self):
        super().connect()
        self._used_since_checked = False
        self._answered_at = float("-inf")
