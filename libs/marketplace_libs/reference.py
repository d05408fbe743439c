"""Reference data every service validates against: countries, languages, currencies, time zones.

ISO 3166-1 and ISO 639-1 come from pycountry (the ISO tables, kept current upstream) rather
than lists of our own. Currencies are the ones the marketplace settles in: a price or a
preference in a currency we cannot pay out in would only fail later, at checkout.
"""

from __future__ import annotations

import zoneinfo
from functools import cache

import pycountry

# The currencies buyers pay and sellers are paid in. ISO 4217 codes.
SUPPORTED_CURRENCIES: tuple[str, ...] = ("USD", "EUR", "GBP", "CAD", "AUD", "CHF", "JPY", "INR", "BRL", "PLN", "SEK")
DEFAULT_CURRENCY = "USD"
DEFAULT_LANGUAGE = "en"
DEFAULT_TIMEZONE = "UTC"


@cache
def country_codes() -> frozenset[str]:
    """ISO 3166-1 alpha-2 codes, upper case."""
    return frozenset(country.alpha_2 for country in pycountry.countries)


@cache
def language_codes() -> frozenset[str]:
    """ISO 639-1 (two-letter) codes, lower case."""
    return frozenset(language.alpha_2 for language in pycountry.languages if hasattr(language, "alpha_2"))


@cache
def timezone_names() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def is_country(code: str) -> bool:
    return code in country_codes()


def is_language(code: str) -> bool:
    return code in language_codes()


def is_currency(code: str) -> bool:
    return code in SUPPORTED_CURRENCIES


def is_timezone(name: str) -> bool:
    return name in timezone_names()
