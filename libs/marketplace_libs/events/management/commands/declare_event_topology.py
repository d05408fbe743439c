from django.core.management.base import BaseCommand

from marketplace_libs.events import registry
from marketplace_libs.events.celery_app import declare_service_topology


class Command(BaseCommand):
    help = ("Declare the events exchange and this service's queues and bindings, so events published "
            "before its worker first starts are kept (manage_all.py migrate runs it).")

    def handle(self, *args, **options):
        declare_service_topology()
        self.stdout.write(f"queues declared; subscribed to: {', '.join(registry.subscriptions()) or 'nothing'}")
