import json

from django.conf import settings
from django.core.management.base import BaseCommand

from marketplace_libs.events import registry
from marketplace_libs.events.celery_app import periodic_tasks


class Command(BaseCommand):
    help = "What this service subscribes to and runs periodically, as JSON (for manage_all.py and the tests)."

    def handle(self, *args, **options):
        self.stdout.write(json.dumps({
            "service": settings.MARKETPLACE_SERVICE,
            "subscriptions": registry.subscriptions(),
            "periodic_tasks": sorted(periodic_tasks()),
        }))
