"""``manage.py release_earning <order id>``: make a completed order's pending earning available now.

Support's early release (a trusted seller, a resolved complaint), and how the demo seed shows a cleared
earning without waiting MARKETPLACE_CLEARANCE_DAYS. The movement and ``earnings.cleared`` are the
scheduler's own, so the ledger cannot tell an early release from an ordinary one except by its time."""

import uuid

from django.core.management.base import BaseCommand, CommandError

from payments import services


class Command(BaseCommand):
    help = "Make a completed order's pending earning available to its seller now."

    def add_arguments(self, parser):
        parser.add_argument("order_id")

    def handle(self, *args, order_id, **options):
        try:
            order_id = uuid.UUID(order_id)
        except ValueError as error:
            raise CommandError(f"{order_id!r} is not an order id.") from error
        if not services.release_earning_now(order_id=order_id):
            raise CommandError(f"Order {order_id} has no earning waiting to clear (not completed, or cleared).")
        self.stdout.write(f"Released the earning of order {order_id}.")
