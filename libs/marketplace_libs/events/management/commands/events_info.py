import json

from django.conf import settings
from django.core.management.base import BaseCommand

from marketplace_libs.events import registry


class Command(BaseCommand):
    help = "What this service subscribes to, as JSON (read by manage_all.py and the contract tests)."

    def handle(self, *args, **options):
        self.stdout.write(json.dumps({"service": settings.MARKETPLACE_SERVICE, "subscriptions": registry.subscriptions()}))
