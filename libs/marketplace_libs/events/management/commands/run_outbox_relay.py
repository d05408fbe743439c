import signal

import structlog
from django.core.management.base import BaseCommand

from marketplace_libs.events.relay import OutboxRelay
from marketplace_libs.runtime import freeze_heap


class Command(BaseCommand):
    help = "Send this service's committed outbox events to the broker, as they commit and in periodic sweeps."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=500)
        parser.add_argument("--sweep-seconds", type=float, default=1.0)

    def handle(self, *args, **options):
        relay = OutboxRelay(batch_size=options["batch_size"], sweep_seconds=options["sweep_seconds"])
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: relay.stop.set())
        structlog.get_logger("marketplace.events").info("heap_frozen", objects=freeze_heap())  # decision 93
        relay.run()
