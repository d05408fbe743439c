"""The order service's business counters (Prometheus), counted once the write has committed.

Served with the rest of the web process's metrics on /metrics; the beat's auto-completions are
counted by the worker that runs them, on its own port (docs/observability.md).
"""

from __future__ import annotations

from django.db import transaction
from prometheus_client import Counter

ORDERS_PLACED = Counter("marketplace_orders_placed_total", "Orders placed (waiting for their payment).")
ORDERS_PAID = Counter("marketplace_orders_paid_total", "Orders paid (payment.succeeded from the payment service).")
ORDERS_COMPLETED = Counter("marketplace_orders_completed_total",
                           "Orders completed, by the buyer's acceptance or automatically.")


def count_on_commit(counter: Counter) -> None:
    """Count when the current transaction commits (at once outside one): a rollback counts nothing."""
    transaction.on_commit(counter.inc)
