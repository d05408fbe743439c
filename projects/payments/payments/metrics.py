"""The payment service's business counters (Prometheus), counted once the write has committed.

Checkouts and webhooks are counted by the web processes (/metrics); payouts, clearances and the
refunds of cancelled orders by the worker that runs them, on its own port (docs/observability.md).
"""

from __future__ import annotations

from django.db import transaction
from prometheus_client import Counter

CHECKOUTS = Counter("marketplace_payments_checkouts_total", "Checkouts opened at a provider.", ["provider"])
PAYMENTS = Counter("marketplace_payments_total", "Payments the providers settled, by outcome.",
                   ["provider", "outcome"])
REFUNDS = Counter("marketplace_payments_refunds_total", "Refunds the providers completed.", ["provider"])
PAYOUTS = Counter("marketplace_payments_payouts_total", "Payouts by outcome: requested, paid or failed.",
                  ["outcome"])
EARNINGS_CLEARED = Counter("marketplace_payments_earnings_cleared_total",
                           "Completed orders whose earnings became available to their sellers.")


def count_on_commit(counter, **labels) -> None:
    """Count when the current transaction commits (at once outside one): a rollback counts nothing."""
    target = counter.labels(**labels) if labels else counter
    transaction.on_commit(target.inc)
