"""The money terms: percentages of the price, rounded half-up to the cent, Decimal throughout."""

from decimal import Decimal

import pytest
from django.core.exceptions import ImproperlyConfigured

from marketplace_libs.testing import published
from orders.money import percentage, percent_of, terms_for

from .conftest import deliver_event, gig_event, place

DEFAULTS = {"fee_percent": Decimal("5.5"), "commission_percent": Decimal("20")}


@pytest.mark.parametrize("price, fee, total, earnings", [
    ("150.00", "8.25", "158.25", "120.00"),
    ("40.00", "2.20", "42.20", "32.00"),
    ("5.00", "0.28", "5.28", "4.00"),       # 0.275 -> 0.28
    ("25.50", "1.40", "26.90", "20.40"),    # 1.4025 -> 1.40
    ("9.99", "0.55", "10.54", "7.99"),      # 0.54945 -> 0.55; commission 1.998 -> 2.00
    ("0.01", "0.00", "0.01", "0.01"),       # 0.00055 -> 0.00; commission 0.002 -> 0.00
    ("9999999.99", "550000.00", "10549999.99", "7999999.99"),
])
def test_terms_at_the_default_percentages(price, fee, total, earnings):
    terms = terms_for(Decimal(price), **DEFAULTS)
    assert (terms.price, terms.service_fee, terms.total, terms.seller_earnings) == (
        Decimal(price), Decimal(fee), Decimal(total), Decimal(earnings))
    assert terms.total == terms.price + terms.service_fee
    assert terms.seller_earnings + terms.commission == terms.price


@pytest.mark.parametrize("amount, percent, expected", [
    ("0.10", "5", "0.01"),    # exactly 0.005: half-up gives the cent (half-even would give 0.00)
    ("0.30", "5", "0.02"),    # 0.015 -> 0.02
    ("0.50", "5", "0.03"),    # 0.025 -> 0.03 (half-even: 0.02)
    ("0.09", "5", "0.00"),    # 0.0045 -> 0.00
    ("10.10", "5.5", "0.56"),  # 0.5555 -> 0.56
    ("100.00", "0", "0.00"),
    ("100.00", "100", "100.00"),
])
def test_percentages_round_half_up_to_the_cent(amount, percent, expected):
    result = percent_of(Decimal(amount), Decimal(percent))
    assert result == Decimal(expected) and result.as_tuple().exponent == -2


@pytest.mark.parametrize("raw", ["abc", "-1", "100.01", "NaN", "Infinity", ""])
def test_a_percentage_setting_out_of_range_is_refused_at_start(raw):
    with pytest.raises(ImproperlyConfigured, match="MARKETPLACE_BUYER_FEE_PERCENT"):
        percentage("MARKETPLACE_BUYER_FEE_PERCENT", raw)


def test_a_percentage_setting_is_read_as_written():
    assert percentage("X", " 5.5 ") == Decimal("5.5") and isinstance(percentage("X", "0.1"), Decimal)


def test_an_order_is_placed_with_the_configured_terms_and_its_event_carries_them(buyer, seller, gig, settings):
    settings.BUYER_FEE_PERCENT, settings.SELLER_COMMISSION_PERCENT = Decimal("10"), Decimal("15")
    order = place(buyer, gig, "premium")
    assert (order["price"], order["service_fee"], order["total"], order["currency"]) == (
        "180.00", "18.00", "198.00", "USD")
    assert "seller_earnings" not in order  # the buyer's view
    [placed] = published("order.placed")
    assert {key: placed[key] for key in ("price", "service_fee", "total", "seller_earnings", "currency")} == {
        "price": "180.00", "service_fee": "18.00", "total": "198.00", "seller_earnings": "153.00", "currency": "USD"}


def test_orders_keep_their_terms_when_the_percentages_or_the_price_change(buyer, seller, gig, settings):
    order = place(buyer, gig)
    settings.BUYER_FEE_PERCENT = Decimal("50")
    newer = gig_event(seller.id, gig_id=gig["gig_id"], revision=2)
    newer["packages"][0]["price"] = "99.00"
    deliver_event("gig.updated", newer)
    again = buyer.client.get(f"/api/orders/{order['id']}/").json()
    assert (again["price"], again["service_fee"], again["total"]) == ("40.00", "2.20", "42.20")


def test_only_the_seller_sees_the_seller_earnings(buyer, seller, gig):
    order = place(buyer, gig)
    seen_by_seller = seller.client.get(f"/api/orders/{order['id']}/").json()
    assert seen_by_seller["seller_earnings"] == "32.00" and seen_by_seller["total"] == "42.20"
    assert "seller_earnings" not in buyer.client.get(f"/api/orders/{order['id']}/").json()
    [listed_to_seller] = seller.client.get("/api/orders/").json()["results"]
    [listed_to_buyer] = buyer.client.get("/api/orders/").json()["results"]
    assert listed_to_seller["seller_earnings"] == "32.00" and "seller_earnings" not in listed_to_buyer
    for amount in ("price", "service_fee", "total", "refunded_total"):
        assert isinstance(listed_to_buyer[amount], str)
