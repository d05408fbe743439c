import json

from django.core.management.base import BaseCommand

from marketplace_libs.events import operations


class Command(BaseCommand):
    help = "Send this service's dead letters (all, or one event) back to its own events queue."

    def add_arguments(self, parser):
        parser.add_argument("--event", metavar="EVENT_ID")

    def handle(self, *args, **options):
        replayed = operations.replay_dead_letters(event_id=options["event"])
        self.stdout.write(json.dumps({"replayed": replayed}))
