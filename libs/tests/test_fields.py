"""The input fields every service's shapes use: money as a decimal string, ids as UUID strings."""

from decimal import Decimal

import pytest
from rest_framework import serializers

from marketplace_libs.fields import MoneyField, StrictUUIDField


@pytest.mark.parametrize("value, expected", [("25.50", Decimal("25.50")), ("25", Decimal("25")),
                                             ("0.07", Decimal("0.07")), (" 3.1 ", Decimal("3.1"))])
def test_money_is_a_decimal_string(value, expected):
    assert MoneyField().run_validation(value) == expected


@pytest.mark.parametrize("value", [25.5, 25, True, None, "25.505", "1e3", "NaN", "-1.00", "+1", "Infinity", "", "2,50"])
def test_anything_else_is_refused(value):
    with pytest.raises(serializers.ValidationError):
        MoneyField().run_validation(value)


def test_money_renders_as_a_string_with_two_places():
    assert MoneyField().to_representation(Decimal("120")) == "120.00"


def test_a_uuid_must_be_a_string():
    assert str(StrictUUIDField().run_validation("7b2f3c4d-8e9a-4b1c-9d2e-3f4a5b6c7d8e")).startswith("7b2f")
    for value in (12, 2**100, ["x"]):
        with pytest.raises(serializers.ValidationError):
            StrictUUIDField().run_validation(value)
