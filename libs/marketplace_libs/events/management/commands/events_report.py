import json

from django.conf import settings
from django.core.management.base import BaseCommand

from marketplace_libs.events import operations, registry


class Command(BaseCommand):
    help = "This service's event state as JSON: outbox lag, queue depths, dead letters, or one event's trace."

    def add_arguments(self, parser):
        parser.add_argument("--dead-letters", action="store_true", help="list the dead letters")
        parser.add_argument("--trace", metavar="EVENT_ID")

    def handle(self, *args, **options):
        if options["trace"]:
            report = operations.trace(options["trace"])
        elif options["dead_letters"]:
            report = {"service": settings.MARKETPLACE_SERVICE, "dead_letters": operations.list_dead_letters()}
        else:
            report = {"service": settings.MARKETPLACE_SERVICE, "subscriptions": registry.subscriptions(),
                      "outbox": operations.outbox_lag()}
            try:
                report["queues"] = operations.queue_depths()
            except Exception as error:  # noqa: BLE001 - report the broker as unreachable, do not fail
                report["queues"] = {"error": f"{type(error).__name__}: {error}"}
        self.stdout.write(json.dumps(report, default=str))
