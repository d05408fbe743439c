"""``manage.py sandbox_webhook <payment id> succeed|fail|refund [amount]``: act as the sandbox provider.

Signs the event exactly as the sandbox's webhook is signed and applies it through the same code path
as ``POST /api/payments/webhooks/sandbox`` (signature check included), for demos, the seed and manual tests.
"""

from django.core.management.base import BaseCommand, CommandError

from marketplace_libs.errors import DomainError
from payments import services
from payments.models import Payment
from payments.providers.sandbox import SIGNATURE_HEADER, signed_webhook

TYPES = {"succeed": "payment.succeeded", "fail": "payment.failed", "refund": "refund.succeeded"}


class Command(BaseCommand):
    help = "Send a signed sandbox webhook for a checkout: succeed, fail or refund (with an amount)."

    def add_arguments(self, parser):
        parser.add_argument("payment_id")
        parser.add_argument("outcome", choices=sorted(TYPES))
        parser.add_argument("amount", nargs="?", help="For a refund: the amount refunded (the whole payment if absent).")

    def handle(self, *args, payment_id, outcome, amount=None, **options):
        payment = Payment.objects.filter(pk=payment_id, provider="sandbox").first()
        if payment is None:
            raise CommandError(f"No sandbox payment {payment_id}.")
        raw, signature = signed_webhook(event_type=TYPES[outcome], payment_id=str(payment.pk),
                                        order_id=str(payment.order_id), amount=amount or f"{payment.amount:.2f}",
                                        currency=payment.currency,
                                        reason="Declined by the sandbox." if outcome == "fail" else "")
        try:
            result = services.apply_webhook(provider="sandbox", body=raw, headers={SIGNATURE_HEADER: signature})
        except DomainError as error:
            raise CommandError(f"Refused: {error.detail} {error.errors or ''}") from error
        self.stdout.write(f"{TYPES[outcome]}: {result}")
