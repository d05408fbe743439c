from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts import selectors, services

DEMO_PASSWORD = "demo passphrase 2026"
DEMO_USERS = [
    # email, username, seller (made one by manage_all.py seed, through the user service), staff
    ("alice@demo.marketplace.local", "alice", False, False),
    ("bruno@demo.marketplace.local", "bruno", False, False),
    ("sofia@demo.marketplace.local", "sofia_designs", True, False),
    ("kenji@demo.marketplace.local", "kenji_codes", True, False),
    ("amara@demo.marketplace.local", "amara_writes", True, False),
    ("staff@demo.marketplace.local", "demo_staff", False, True),  # "staff" is a reserved username
]


class Command(BaseCommand):
    help = f"Demo accounts (password '{DEMO_PASSWORD}'); running it again changes nothing."

    def handle(self, *args, **options):
        if settings.MARKETPLACE_CONFIG.production:
            # A staff account whose password is in the README would be anyone's.
            raise CommandError("seed_demo refuses to run with MARKETPLACE_ENV=production: its accounts' "
                               "password (and a staff account's) is published.")
        for email, username, seller, staff in DEMO_USERS:
            if selectors.email_taken(email):
                continue
            # Through the service, so the other services hear of them like of anyone else.
            # Sellers open their seller profile through the user service (manage_all.py seed); no API grants staff.
            # Demo addresses receive no mail: they are verified, so the demo can order and chat at once.
            services.register_user(email=email, username=username, password=DEMO_PASSWORD, is_staff=staff,
                                   is_superuser=staff, email_verified=True)
            self.stdout.write(f"  {username:<14} {email}{'  (seller)' if seller else ''}{'  (staff)' if staff else ''}")
        self.stdout.write(f"demo password for every account: {DEMO_PASSWORD}")
