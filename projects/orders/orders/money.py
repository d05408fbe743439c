"""The money terms of an order, set once when it is placed.

The buyer pays ``total`` = ``price`` + ``service_fee`` (the buyer's fee); the seller earns ``price``
less the platform's commission. Both percentages are of the price, rounded half-up to the cent,
the way an invoice rounds: 0.005 is a cent. Amounts are Decimal throughout, never floats.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.exceptions import ImproperlyConfigured

CENT = Decimal("0.01")
HUNDRED = Decimal(100)


@dataclass(frozen=True)
class Terms:
    price: Decimal
    service_fee: Decimal
    total: Decimal
    seller_earnings: Decimal

    @property
    def commission(self) -> Decimal:
        return self.price - self.seller_earnings


def percent_of(amount: Decimal, percent: Decimal) -> Decimal:
    return (amount * percent / HUNDRED).quantize(CENT, rounding=ROUND_HALF_UP)


def terms_for(price: Decimal, *, fee_percent: Decimal, commission_percent: Decimal) -> Terms:
    price = Decimal(price).quantize(CENT, rounding=ROUND_HALF_UP)
    service_fee = percent_of(price, fee_percent)
    return Terms(price=price, service_fee=service_fee, total=price + service_fee,
                 seller_earnings=price - percent_of(price, commission_percent))


def percentage(name: str, raw: str) -> Decimal:
    """A percentage setting from the environment, refused at start-up unless it is a number in 0..100
    (a float is never involved: the text becomes a Decimal as written)."""
    try:
        value = Decimal(raw.strip())
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite() or not Decimal(0) <= value <= HUNDRED:
        raise ImproperlyConfigured(f"{name} must be a percentage from 0 to 100 (such as 5.5), not {raw!r}")
    return value
