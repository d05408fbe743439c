"""Concurrent calls on one order, and the scheduled auto-completion with a moved clock (real PostgreSQL)."""

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.db import connection

from marketplace_libs.testing import published
from marketplace_libs.errors import DomainError
from orders import services
from orders.models import Order

from .conftest import paid

pytestmark = pytest.mark.django_db(transaction=True)


def _race(calls) -> list[str]:
    def attempt(call):
        try:
            call()
            return "won"
        except DomainError as error:
            return error.code
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(attempt, calls))


def test_twenty_concurrent_accepts_and_cancels_one_wins_one_event(buyer, seller, gig):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    order = paid(buyer, gig)
    services.deliver(order_id=order["id"], user_id=seller.id, message="Done")
    calls = [lambda: services.accept(order_id=order["id"], user_id=buyer.id)] * 10 + [
        lambda: services.cancel_by_staff(order_id=order["id"], staff_username="staff", reason="race")] * 10
    outcomes = _race(calls)
    assert outcomes.count("won") == 1 and outcomes.count("conflict") == 19
    assert len(published("order.completed")) + len(published("order.cancelled")) == 1


def test_concurrent_deliveries_and_seller_cancels_on_one_order(buyer, seller, gig):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    order = paid(buyer, gig)
    calls = [lambda: services.deliver(order_id=order["id"], user_id=seller.id, message="x")] * 10 + [
        lambda: services.cancel(order_id=order["id"], user_id=seller.id, reason="busy")] * 10
    outcomes = _race(calls)
    assert outcomes.count("won") == 1
    assert len(published("order.delivered")) + len(published("order.cancelled")) == 1


def test_a_delivered_order_completes_by_itself_after_the_delay_once(buyer, seller, gig, settings):
    settings.ORDER_AUTOCOMPLETE_DAYS = 3
    order = paid(buyer, gig)
    delivered = services.deliver(order_id=order["id"], user_id=seller.id, message="Done")
    assert services.auto_complete_delivered_orders(now=delivered.delivered_at + timedelta(days=2, hours=23)) == 0
    later = delivered.delivered_at + timedelta(days=3, seconds=1)
    assert services.auto_complete_delivered_orders(now=later) == 1
    assert services.auto_complete_delivered_orders(now=later) == 0  # the next run finds nothing to do
    completed = Order.objects.get(pk=order["id"])
    assert completed.status == "completed" and completed.completed_at == later
    [event] = published("order.completed")
    assert event["by"] == "system"
    assert completed.timeline.last().type == "auto_completed"


def test_the_periodic_task_is_scheduled_for_the_beat():
    from config.celery import app

    entry = app.conf.beat_schedule["auto-complete-delivered-orders"]
    assert entry["task"] == "orders.tasks.auto_complete_delivered_orders"
    assert entry["task"] in app.tasks
