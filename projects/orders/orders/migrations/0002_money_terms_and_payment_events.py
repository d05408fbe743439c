"""Orders learn of payments from the payment service: money terms on every order, the sandbox provider's
fields and webhook table gone.

Existing orders get their terms with the default percentages (5.5 % fee, 20 % commission; fixed here, not
read from settings, so the migration does the same thing wherever it runs), except that an order already
paid was paid before any fee existed: its buyer paid the price alone, so its fee is 0.00 and its total the
price. Payment statuses map pending/failed -> unpaid, succeeded -> paid, refund_pending/refunded ->
refunded (the sandbox refunded the whole payment).
"""

from decimal import ROUND_HALF_UP, Decimal

from django.db import migrations, models

BUYER_FEE_PERCENT = Decimal("5.5")
SELLER_COMMISSION_PERCENT = Decimal("20")
PAID_BEFORE = {"succeeded", "refund_pending", "refunded"}
NEW_STATUS = {"pending": "unpaid", "failed": "unpaid", "succeeded": "paid", "refund_pending": "refunded",
              "refunded": "refunded"}
# Back to the old vocabulary if the migration is reversed (a partial refund was unknown then).
OLD_STATUS = {"unpaid": "pending", "paid": "succeeded", "partially_refunded": "succeeded", "refunded": "refunded"}


def _percent_of(amount: Decimal, percent: Decimal) -> Decimal:
    return (amount * percent / 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def set_terms(apps, schema_editor):
    Order = apps.get_model("orders", "Order")
    for order in Order.objects.only("pk", "price", "payment_status").iterator(chunk_size=500):
        paid = order.payment_status in PAID_BEFORE
        order.service_fee = Decimal("0.00") if paid else _percent_of(order.price, BUYER_FEE_PERCENT)
        order.total = order.price + order.service_fee
        order.seller_earnings = order.price - _percent_of(order.price, SELLER_COMMISSION_PERCENT)
        order.payment_status = NEW_STATUS.get(order.payment_status, "unpaid")
        order.refunded_total = order.total if order.payment_status == "refunded" else Decimal("0.00")
        order.save(update_fields=["service_fee", "total", "seller_earnings", "payment_status", "refunded_total"])


def restore_statuses(apps, schema_editor):
    Order = apps.get_model("orders", "Order")
    for new, old in OLD_STATUS.items():
        Order.objects.filter(payment_status=new).update(payment_status=old)


class Migration(migrations.Migration):

    dependencies = [
        ("orders", "0001_initial"),
    ]

    operations = [
        migrations.AddField("order", "service_fee", models.DecimalField(
            decimal_places=2, max_digits=10, null=True, help_text="The buyer's fee.")),
        migrations.AddField("order", "total", models.DecimalField(
            decimal_places=2, max_digits=10, null=True, help_text="What the buyer pays: price + fee.")),
        migrations.AddField("order", "seller_earnings", models.DecimalField(
            decimal_places=2, max_digits=10, null=True, help_text="What the seller earns: price less the commission.")),
        migrations.AddField("order", "refunded_total", models.DecimalField(
            decimal_places=2, max_digits=10, default=0, help_text="Refunded to the buyer so far (payment.refunded).")),
        migrations.RunPython(set_terms, restore_statuses, elidable=False),
        migrations.AlterField("order", "service_fee", models.DecimalField(
            decimal_places=2, max_digits=10, help_text="The buyer's fee.")),
        migrations.AlterField("order", "total", models.DecimalField(
            decimal_places=2, max_digits=10, help_text="What the buyer pays: price + fee.")),
        migrations.AlterField("order", "seller_earnings", models.DecimalField(
            decimal_places=2, max_digits=10, help_text="What the seller earns: price less the commission.")),
        migrations.AlterField("order", "price", models.DecimalField(
            decimal_places=2, max_digits=9, help_text="The package's price.")),
        migrations.AlterField("order", "payment_status", models.CharField(
            choices=[("unpaid", "Unpaid"), ("paid", "Paid"), ("partially_refunded", "Partially Refunded"),
                     ("refunded", "Refunded")], default="unpaid", max_length=20)),
        migrations.AlterField("timelineentry", "actor_id", models.UUIDField(
            blank=True, help_text="Empty for the system or the payment service.", null=True)),
        # A default, so that reversing the migration can put the column back on existing rows.
        migrations.AlterField("order", "payment_provider", models.CharField(default="sandbox", max_length=30)),
        migrations.RemoveField("order", "payment_provider"),
        migrations.RemoveField("order", "payment_id"),
        migrations.DeleteModel("PaymentWebhookEvent"),
        migrations.AddConstraint("order", models.CheckConstraint(
            condition=models.Q(total=models.F("price") + models.F("service_fee")),
            name="order_total_is_price_plus_fee")),
        migrations.AddConstraint("order", models.CheckConstraint(
            condition=models.Q(seller_earnings__gte=0, seller_earnings__lte=models.F("price")),
            name="order_earnings_within_price")),
        migrations.AddConstraint("order", models.CheckConstraint(
            condition=models.Q(refunded_total__gte=0, refunded_total__lte=models.F("total")),
            name="order_refunds_within_total")),
    ]
