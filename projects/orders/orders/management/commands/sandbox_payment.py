"""Drive the sandbox payment provider by hand: send the webhook a real provider would send."""

import uuid

import httpx
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from marketplace_libs.topology import gateway_port

from ...models import Order
from ...payments.webhook import signed_body

OUTCOMES = {"succeed": "payment.succeeded", "fail": "payment.failed", "refund": "refund.succeeded"}


class Command(BaseCommand):
    help = "Send a signed sandbox payment webhook for an order: succeed, fail or refund."

    def add_arguments(self, parser):
        parser.add_argument("order_id")
        parser.add_argument("outcome", choices=sorted(OUTCOMES))
        parser.add_argument("--url", default=f"http://127.0.0.1:{gateway_port()}/api/orders/payments/webhook",
                            help="the webhook endpoint (default: through the gateway)")

    def handle(self, *args, order_id, outcome, url, **options):
        order = Order.objects.filter(pk=order_id).first()
        if order is None:
            raise CommandError(f"No order {order_id}.")
        event = {"id": f"sbx_evt_{uuid.uuid4().hex}", "type": OUTCOMES[outcome],
                 "data": {"payment_id": order.payment_id, "order_id": str(order.pk), "amount": f"{order.price:.2f}",
                          "currency": order.currency}}
        body, signature = signed_body(event, settings.PAYMENT_WEBHOOK_SECRET)
        response = httpx.post(url, content=body, headers={"Content-Type": "application/json",
                                                          "X-Payment-Signature": signature}, timeout=10)
        self.stdout.write(f"{response.status_code} {response.text}")
        if response.status_code >= 400:
            raise CommandError("the webhook was refused")
