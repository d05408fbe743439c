"""The payment providers behind one interface: ``sandbox`` (embedded default) and ``stripe``.

A provider is a network peer: every call may raise ``ProviderUnavailable`` (try again later) or
``ProviderRefused`` (the provider said no: a declined card, an unknown account). Every money-moving
call takes an ``idempotency_key``: the same key again returns the first answer and moves nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import Protocol


class ProviderError(Exception):
    pass


class ProviderUnavailable(ProviderError):
    """The provider could not be reached or answered 5xx: nothing is known to have happened."""


class ProviderRefused(ProviderError):
    """The provider answered and refused."""


@dataclass(frozen=True)
class Intent:
    """A payment the buyer can complete: ``reference`` is the provider's id (a PaymentIntent id)."""
    reference: str
    client_secret: str


@dataclass(frozen=True)
class Refund:
    reference: str
    status: str  # "succeeded" or "pending" (a webhook will confirm)


@dataclass(frozen=True)
class Transfer:
    reference: str
    status: str  # "paid", "pending" or "failed"
    failure_reason: str = ""


@dataclass(frozen=True)
class WebhookEvent:
    """A verified provider event, in the provider's own words mapped to ours.

    ``type`` is one of "payment.succeeded", "payment.failed", "refund.succeeded" (others: "ignored");
    ``payment_reference`` is the provider's id of the payment (for the sandbox, our checkout id)."""
    id: str
    type: str
    payment_reference: str
    amount: Decimal
    currency: str
    reason: str = ""


class Provider(Protocol):
    name: str

    def create_intent(self, *, payment_id: str, order_id: str, amount: Decimal, currency: str,
                      description: str, idempotency_key: str) -> Intent: ...

    def refund(self, *, payment_reference: str, amount: Decimal, currency: str,
               idempotency_key: str) -> Refund: ...

    def transfer(self, *, payout_id: str, seller_id: str, amount: Decimal, currency: str,
                 idempotency_key: str) -> Transfer: ...

    def verify_webhook(self, *, body: bytes, headers: dict) -> WebhookEvent:
        """The event, or ``InvalidInput`` (400) for a forged, stale or malformed one."""
        ...


# --- the providers of this deployment --------------------------------------------------------------

KNOWN = ("sandbox", "stripe")


def get(name: str) -> Provider:
    """The provider called ``name`` (one instance per process). A payment keeps its provider for life,
    so every known provider can be asked for, enabled for new checkouts or not."""
    if name not in KNOWN:
        raise LookupError(f"No payment provider is called {name!r}; known: {', '.join(KNOWN)}")
    return _instance(name)


def default() -> Provider:
    """The provider of new checkouts and payouts (``MARKETPLACE_PAYMENT_PROVIDER``)."""
    from django.conf import settings

    return get(settings.PAYMENT_PROVIDER)


def enabled() -> list[str]:
    """The providers a new checkout may choose (``MARKETPLACE_PAYMENT_PROVIDERS``)."""
    from django.conf import settings

    return list(settings.PAYMENT_PROVIDERS)


class ProviderNotConfigured(LookupError):
    """The provider is known but this deployment has not configured it (no Stripe keys)."""


@cache
def _instance(name: str) -> Provider:
    from django.core.exceptions import ImproperlyConfigured
    from django.utils.module_loading import import_string

    provider_class = import_string(f"payments.providers.{name}.{name.capitalize()}Provider")
    try:
        return provider_class.from_settings() if hasattr(provider_class, "from_settings") else provider_class()
    except ImproperlyConfigured as error:
        raise ProviderNotConfigured(f"the {name} provider is not configured here: {error}") from error
