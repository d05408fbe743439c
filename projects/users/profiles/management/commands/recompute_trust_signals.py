"""``manage.py recompute_trust_signals`` (``manage_all.py run users recompute_trust_signals``): what the
nightly task does, on demand (after changing a level threshold, say)."""

from django.core.management.base import BaseCommand

from profiles import trust_services


class Command(BaseCommand):
    help = ("Rebuild every seller's order counts, response time and level from the facts the user service keeps "
            "of order and chat events; a changed level is published as user.profile_updated.")

    def handle(self, *args, **options):
        sellers = trust_services.recompute_all()
        self.stdout.write(self.style.SUCCESS(f"Recomputed the trust signals of {sellers} seller(s)."))
