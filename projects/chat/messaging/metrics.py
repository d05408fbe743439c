"""The chat service's business metrics (Prometheus): messages sent, sockets open.

Each socket process is a single process answering /metrics for itself (docs/observability.md):
sum over the processes for the service.
"""

from __future__ import annotations

from django.db import transaction
from prometheus_client import Counter, Gauge

MESSAGES_SENT = Counter("marketplace_chat_messages_sent_total",
                        "Chat messages stored (a client_id resend counts once).")
SOCKETS_OPEN = Gauge("marketplace_chat_sockets_open", "Authenticated chat sockets open on this process.",
                     multiprocess_mode="livesum")


def count_message_on_commit() -> None:
    transaction.on_commit(MESSAGES_SENT.inc)
