"""Two accepts of one offer at once, on two real PostgreSQL connections: one order, one offer.accepted."""

from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import pytest
from django.db import connection

from marketplace_libs.errors import DomainError
from marketplace_libs.testing import published
from orders import offers
from orders.models import Offer, Order

from .test_offers import make

pytestmark = pytest.mark.django_db(transaction=True)


def test_concurrent_accepts_and_a_withdrawal_place_exactly_one_order(seller, buyer, gig):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    from .test_offers import conversation_between

    conversation_id = conversation_between(seller.id, buyer.id, gig_id=gig["gig_id"])
    offer_id = make(seller, conversation_id, buyer).json()["id"]
    calls = [lambda: offers.accept_offer(offer_id=offer_id, user_id=buyer.id)] * 8 + [
        lambda: offers.withdraw_offer(offer_id=offer_id, user_id=seller.id)] * 2
    start = Barrier(len(calls))

    def attempt(call):
        try:
            start.wait()  # every thread on its own connection, released together
            call()
            return "won"
        except DomainError as error:
            return error.code
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        outcomes = list(pool.map(attempt, calls))
    assert outcomes.count("won") == 1 and outcomes.count("conflict") == len(calls) - 1
    offer = Offer.objects.get(pk=offer_id)
    if offer.status == "accepted":
        assert Order.objects.count() == 1 and str(offer.order_id) == str(Order.objects.get().pk)
        assert len(published("order.placed")) == len(published("offer.accepted")) == 1
    else:
        assert offer.status == "withdrawn" and not Order.objects.exists()
    assert len(published("offer.accepted")) + len(published("offer.withdrawn")) == 1
