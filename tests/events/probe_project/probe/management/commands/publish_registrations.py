import json

from django.core.management.base import BaseCommand

from probe.publishing import publish_registrations


class Command(BaseCommand):
    help = "Publish user.registered events through the outbox; prints their ids as JSON."

    def add_arguments(self, parser):
        parser.add_argument("--count", type=int, default=10)
        parser.add_argument("--prefix", default="user")

    def handle(self, *args, **options):
        self.stdout.write(json.dumps(publish_registrations(options["count"], prefix=options["prefix"])))
