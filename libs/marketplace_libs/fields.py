"""Serializer fields every service's input shapes use."""

import re

from rest_framework import serializers


class StrictCharField(serializers.CharField):
    """A JSON string and nothing else: DRF's CharField would quietly take 123 as "123"."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictUUIDField(serializers.UUIDField):
    """A UUID in a JSON string: DRF's UUIDField would take the number 12 as UUID(int=12)."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid", value=data)
        return super().to_internal_value(data)


_MONEY = re.compile(r"\d+(\.\d{1,2})?")


class MoneyField(serializers.DecimalField):
    """An amount of money as the platform writes it: a JSON string of a decimal with at most two places
    ("25.50"). A JSON number is refused, even 25.5: a float cannot carry every amount exactly, and a
    client sending one has already lost precision somewhere. Renders as a string too."""

    default_error_messages = {
        "not_a_string": 'Send an amount as a decimal string such as "25.50", not a JSON number.',
        "money_format": 'Must be a decimal string with at most two decimal places, such as "25.50".',
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("max_digits", 12)
        kwargs.setdefault("decimal_places", 2)
        kwargs.setdefault("coerce_to_string", True)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("not_a_string")
        if not _MONEY.fullmatch(data.strip()):
            self.fail("money_format")
        return super().to_internal_value(data.strip())
