"""``manage.py reconcile`` (``manage_all.py run payments reconcile``): prove the ledger; exit 1 if it is not right."""

from django.core.management.base import BaseCommand

from payments.reconcile import reconcile


class Command(BaseCommand):
    help = ("Check that every movement balances, the books sum to zero per currency, every balance equals its "
            "entries, and every payment and payout has its movements. Exit status 1 with the differences otherwise.")

    def handle(self, *args, **options):
        report = reconcile()
        for line in report.summary:
            self.stdout.write(line)
        if report.ok:
            self.stdout.write(self.style.SUCCESS("Reconciled: the ledger is right."))
            return
        for line in report.differences:
            self.stderr.write(f"DIFFERENCE: {line}")
        self.stderr.write(self.style.ERROR(f"{len(report.differences)} difference(s)."))
        raise SystemExit(1)
