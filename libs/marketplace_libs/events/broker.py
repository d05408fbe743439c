"""Where events travel: the topic exchange, each service's queue and dead-letter queue.

With ``MARKETPLACE_BROKER_URL`` set that is RabbitMQ: a durable topic exchange
``marketplace.events`` (routing key = event type) and per service a durable quorum
queue ``<service>.events`` bound to the types it handles, plus
``<service>.events.dlq``. Without it, kombu's filesystem transport under
``var/broker/`` does the same routing between local processes, with no server.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from kombu import Connection, Exchange, Queue, binding

EVENTS_EXCHANGE = Exchange("marketplace.events", type="topic", durable=True)
DEAD_LETTER_EXCHANGE = Exchange("marketplace.dead-letters", type="direct", durable=True)
# A message that kills its worker again and again is dead-lettered by RabbitMQ after this many deliveries.
DELIVERY_LIMIT = 10


def events_queue_name(service: str) -> str:
    return f"{service}.events"


def dead_letter_queue_name(service: str) -> str:
    return f"{service}.events.dlq"


def broker_url() -> str:
    return settings.MARKETPLACE_BROKER_URL or "filesystem://"


def transport_options(*, confirm_each: bool = True) -> dict:
    if settings.MARKETPLACE_BROKER_URL:
        # Every publish waits for RabbitMQ's confirm: "sent" means stored by the broker. The relay
        # turns this off and confirms whole batches itself (confirms.py).
        return {"confirm_publish": confirm_each}
    folder = Path(settings.MARKETPLACE_CONFIG.var_dir) / "broker"
    for sub in ("messages", "processed", "control"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    return {
        "data_folder_in": str(folder / "messages"),
        "data_folder_out": str(folder / "messages"),
        "processed_folder": str(folder / "processed"),
        "control_folder": str(folder / "control"),
        "store_processed": False,
    }


def connection(*, confirm_each: bool = True) -> Connection:
    return Connection(broker_url(), transport_options=transport_options(confirm_each=confirm_each), connect_timeout=5,
                      heartbeat=30 if settings.MARKETPLACE_BROKER_URL else 0)


def events_queue(service: str, event_types: list[str]) -> Queue:
    return Queue(
        events_queue_name(service),
        exchange=EVENTS_EXCHANGE,
        bindings=[binding(EVENTS_EXCHANGE, routing_key=event_type) for event_type in event_types],
        durable=True,
        queue_arguments={
            "x-queue-type": "quorum",
            # One consumer at a time (the others wait as hot standbys): events leave in order.
            "x-single-active-consumer": True,
            "x-delivery-limit": DELIVERY_LIMIT,
            "x-dead-letter-exchange": DEAD_LETTER_EXCHANGE.name,
            "x-dead-letter-routing-key": dead_letter_queue_name(service),
        },
    )


def dead_letter_queue(service: str) -> Queue:
    return Queue(
        dead_letter_queue_name(service),
        exchange=DEAD_LETTER_EXCHANGE,
        routing_key=dead_letter_queue_name(service),
        durable=True,
        queue_arguments={"x-queue-type": "quorum"},
    )


def declare_topology(conn: Connection, service: str, event_types: list[str]) -> None:
    """Exchanges, the service's queue with its bindings, and its dead-letter queue (idempotent)."""
    channel = conn.default_channel
    EVENTS_EXCHANGE(channel).declare()
    DEAD_LETTER_EXCHANGE(channel).declare()
    dead_letter_queue(service)(channel).declare()
    if event_types:
        events_queue(service, event_types)(channel).declare()
