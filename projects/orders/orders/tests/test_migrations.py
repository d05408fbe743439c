"""Migration 0002 on orders written by 0001: money terms filled, payment statuses mapped, provider fields gone."""

import uuid
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from marketplace_libs.testing import migrated_to, migrated_to_latest

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("orders", "0001_initial")]
AFTER = [("orders", "0002_money_terms_and_payment_events")]


@pytest.fixture
def at_0001():
    apps = migrated_to(BEFORE)
    yield apps
    migrated_to_latest("orders")


def old_order(apps, *, price: str, payment_status: str, status: str, payment_id: str | None) -> uuid.UUID:
    order = apps.get_model("orders", "Order").objects.create(
        gig_id=uuid.uuid4(), package="basic", title="A logo", package_title="One concept", price=Decimal(price),
        currency="USD", buyer_id=uuid.uuid4(), seller_id=uuid.uuid4(), status=status, delivery_days=3,
        payment_provider="sandbox", payment_id=payment_id, payment_status=payment_status, created_at=timezone.now())
    if payment_id:
        apps.get_model("orders", "PaymentWebhookEvent").objects.create(id=f"evt_{payment_id}", type="payment.succeeded",
                                                                      order=order)
    return order.pk


def test_existing_orders_get_terms_and_statuses(at_0001):
    cases = {
        # old payment status, order status, price: fee, total, earnings, new status, refunded
        "pending": ("pending", "pending_payment", "150.00", "8.25", "158.25", "120.00", "unpaid", "0.00"),
        "failed": ("failed", "pending_payment", "5.00", "0.28", "5.28", "4.00", "unpaid", "0.00"),
        # paid before the fee existed: the buyer paid the price alone
        "succeeded": ("succeeded", "in_progress", "40.00", "0.00", "40.00", "32.00", "paid", "0.00"),
        "refund_pending": ("refund_pending", "cancelled", "9.99", "0.00", "9.99", "7.99", "refunded", "9.99"),
        "refunded": ("refunded", "cancelled", "180.00", "0.00", "180.00", "144.00", "refunded", "180.00"),
    }
    ids = {name: old_order(at_0001, price=case[2], payment_status=case[0], status=case[1],
                           payment_id=None if case[0] in ("pending", "failed") else f"sbx_pay_{name}")
           for name, case in cases.items()}

    apps = migrated_to(AFTER)

    Order = apps.get_model("orders", "Order")
    for name, (_, status, price, fee, total, earnings, payment_status, refunded) in cases.items():
        order = Order.objects.get(pk=ids[name])
        assert (order.status, order.price, order.service_fee, order.total, order.seller_earnings,
                order.payment_status, order.refunded_total) == (
            status, Decimal(price), Decimal(fee), Decimal(total), Decimal(earnings), payment_status,
            Decimal(refunded)), name
    columns = {column.name for column in connection.introspection.get_table_description(
        connection.cursor(), Order._meta.db_table)}
    assert {"service_fee", "total", "seller_earnings", "refunded_total"} <= columns
    assert not {"payment_provider", "payment_id"} & columns
    assert "orders_paymentwebhookevent" not in connection.introspection.table_names()


def test_the_migration_reverses(at_0001):
    order_id = old_order(at_0001, price="40.00", payment_status="succeeded", status="in_progress",
                         payment_id="sbx_pay_x")
    migrated_to(AFTER)
    apps = migrated_to(BEFORE)
    order = apps.get_model("orders", "Order").objects.get(pk=order_id)
    assert order.payment_status == "succeeded" and order.price == Decimal("40.00")
