"""The Stripe provider, through the official ``stripe`` library.

A checkout is a PaymentIntent whose ``client_secret`` the buyer's client confirms with Stripe.js; Stripe
tells us the outcome by webhook. ``MARKETPLACE_STRIPE_API_BASE`` points the library at another server
(localstripe in the tests and the end-to-end platform).

Amounts cross this module as Decimal in major units ("158.25") and go to Stripe as integers in the
currency's minor units; an amount that has no exact integer is refused here rather than rounded.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import stripe
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from marketplace_libs.errors import InvalidInput

from . import Intent, ProviderRefused, ProviderUnavailable, Refund, Transfer, WebhookEvent

# https://docs.stripe.com/currencies#zero-decimal
ZERO_DECIMAL_CURRENCIES = frozenset({
    "BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA", "PYG", "RWF", "VND", "VUV", "XAF", "XOF", "XPF",
})
# Zero-decimal in practice, but Stripe's API takes them with two decimals that must be zero.
WHOLE_UNIT_TWO_DECIMAL_CURRENCIES = frozenset({"ISK", "UGX"})
# Three decimals in the API, and Stripe requires the last one to be zero.
THREE_DECIMAL_CURRENCIES = frozenset({"BHD", "JOD", "KWD", "OMR", "TND"})

# A request that takes longer is treated as the provider being down; with an idempotency key on every
# money-moving call, the retry (ours, or the library's own) cannot charge twice.
REQUEST_TIMEOUT_SECONDS = 20
NETWORK_RETRIES = 2

WEBHOOK_TYPES = {
    "payment_intent.succeeded": "payment.succeeded",
    "payment_intent.payment_failed": "payment.failed",
    "charge.refunded": "refund.succeeded",
}


class UnrepresentableAmount(ProviderRefused):
    """The amount has no exact integer in the currency's minor units (Stripe would reject or round it)."""


class TransfersNotSupported(ProviderRefused):
    """Stripe payouts to sellers are not available (see docs/payments.md, "Stripe payouts")."""


# --- amounts ---------------------------------------------------------------------------------------

def _exponent(currency: str) -> int:
    if currency in ZERO_DECIMAL_CURRENCIES:
        return 0
    if currency in THREE_DECIMAL_CURRENCIES:
        return 3
    return 2


def to_minor_units(amount: Decimal, currency: str) -> int:
    """``amount`` (major units) as Stripe's integer; ``UnrepresentableAmount`` when it is not exact."""
    if not isinstance(amount, Decimal):
        raise TypeError(f"amount must be a Decimal, not {type(amount).__name__}")
    currency = currency.upper()
    if not amount.is_finite() or amount <= 0:
        raise UnrepresentableAmount(f"{amount} {currency} is not a positive amount")
    # Stripe's own constraints: whole units only for these, and no third decimal for these.
    whole_units_only = currency in ZERO_DECIMAL_CURRENCIES or currency in WHOLE_UNIT_TWO_DECIMAL_CURRENCIES
    allowed_places = 0 if whole_units_only else 2
    if amount != amount.quantize(Decimal(1).scaleb(-allowed_places)):
        raise UnrepresentableAmount(
            f"{amount} {currency} has more than {allowed_places} decimal places, which Stripe cannot take")
    return int(amount.scaleb(_exponent(currency)))


def from_minor_units(amount: int, currency: str) -> Decimal:
    currency = currency.upper()
    exponent = _exponent(currency)
    major = Decimal(int(amount)).scaleb(-exponent)
    # "158.25", never "1.5825E+2": the places of the currency as it is written.
    places = 0 if currency in ZERO_DECIMAL_CURRENCIES or currency in WHOLE_UNIT_TWO_DECIMAL_CURRENCIES else 2
    return major.quantize(Decimal(1).scaleb(-places))


# --- errors ----------------------------------------------------------------------------------------

def _translated(error: stripe.StripeError) -> Exception:
    """The provider error for the library's: Unavailable when nothing is known to have happened and a
    retry may succeed, Refused when Stripe answered no."""
    message = error.user_message or str(error) or type(error).__name__
    if isinstance(error, (stripe.APIConnectionError, stripe.RateLimitError)):
        return ProviderUnavailable(f"Stripe: {message}")
    if isinstance(error, (stripe.AuthenticationError, stripe.PermissionError)):
        # Our key is wrong or lacks a permission: an operator must act, the buyer did nothing wrong.
        return ProviderUnavailable(f"Stripe refuses our credentials: {message}")
    if isinstance(error, (stripe.CardError, stripe.InvalidRequestError, stripe.IdempotencyError)):
        return ProviderRefused(f"Stripe: {message}")
    status = error.http_status
    if status is None or status >= 500:
        return ProviderUnavailable(f"Stripe: {message}")
    return ProviderRefused(f"Stripe: {message}")


def _calling_stripe(call, *args, **kwargs):
    try:
        return call(*args, **kwargs)
    except stripe.StripeError as error:
        raise _translated(error) from error


def _header(headers: Mapping[str, str], name: str) -> str | None:
    """A header from Django's case-insensitive headers or from a plain dict."""
    value = headers.get(name)
    if value is None:
        lowered = name.lower()
        value = next((value for key, value in headers.items() if key.lower() == lowered), None)
    return value


# --- the provider ----------------------------------------------------------------------------------

class StripeProvider:
    name = "stripe"

    def __init__(self, *, api_key: str, webhook_secret: str, api_base: str = "",
                 webhook_tolerance_seconds: int = 300):
        if not api_key:
            raise ImproperlyConfigured("the stripe provider needs MARKETPLACE_STRIPE_API_KEY")
        if not webhook_secret:
            raise ImproperlyConfigured("the stripe provider needs MARKETPLACE_STRIPE_WEBHOOK_SECRET")
        self.webhook_secret = webhook_secret
        self.webhook_tolerance_seconds = webhook_tolerance_seconds
        self.client = stripe.StripeClient(
            api_key,
            base_addresses={"api": api_base.rstrip("/")} if api_base else None,
            max_network_retries=NETWORK_RETRIES,
            http_client=stripe.RequestsClient(timeout=REQUEST_TIMEOUT_SECONDS),
        )

    @classmethod
    def from_settings(cls) -> StripeProvider:
        return cls(api_key=settings.STRIPE_API_KEY, api_base=settings.STRIPE_API_BASE,
                   webhook_secret=settings.STRIPE_WEBHOOK_SECRET,
                   webhook_tolerance_seconds=getattr(settings, "PAYMENT_WEBHOOK_TOLERANCE_SECONDS", 300))

    def create_intent(self, *, payment_id: str, order_id: str, amount: Decimal, currency: str,
                      description: str, idempotency_key: str) -> Intent:
        params = {
            "amount": to_minor_units(amount, currency),
            "currency": currency.lower(),
            "payment_method_types": ["card"],
            # Stripe's own `description` parameter is not taken by localstripe; the metadata carries it
            # to the dashboard just as well, beside the ids a person looks a payment up by.
            "metadata": {"payment_id": str(payment_id), "order_id": str(order_id), "description": description[:500]},
        }
        intent = _calling_stripe(self.client.v1.payment_intents.create, params=params,
                                 options={"idempotency_key": idempotency_key})
        return Intent(reference=intent.id, client_secret=intent.client_secret)

    def refund(self, *, payment_reference: str, amount: Decimal, currency: str,
               idempotency_key: str) -> Refund:
        params = {"payment_intent": payment_reference, "amount": to_minor_units(amount, currency)}
        refund = _calling_stripe(self.client.v1.refunds.create, params=params,
                                 options={"idempotency_key": idempotency_key})
        # Card refunds are "succeeded" at once; others report "pending" and a charge.refunded webhook follows.
        return Refund(reference=refund.id, status="succeeded" if refund.status == "succeeded" else "pending")

    def transfer(self, *, payout_id: str, seller_id: str, amount: Decimal, currency: str,
                 idempotency_key: str) -> Transfer:
        # A Stripe Transfer needs the seller's connected account (Stripe Connect onboarding, which the
        # platform does not do), and localstripe has no Transfer API to test one against. Refusing here,
        # before any call, lets the payout fail cleanly with this reason instead of moving money nowhere.
        raise TransfersNotSupported(
            "Stripe payouts to sellers are not supported: sellers have no Stripe Connect account "
            "(docs/payments.md, \"Stripe payouts\")")

    def verify_webhook(self, *, body: bytes, headers: Mapping[str, str]) -> WebhookEvent:
        signature = _header(headers, "Stripe-Signature")
        if not signature:
            raise InvalidInput.on("Stripe-Signature", "The Stripe-Signature header is missing.")
        try:
            stripe.Webhook.construct_event(body, signature, self.webhook_secret,
                                           tolerance=self.webhook_tolerance_seconds)
        except stripe.SignatureVerificationError as error:
            raise InvalidInput.on("Stripe-Signature", f"The signature does not verify: {error.user_message or error}")
        except (ValueError, TypeError, AttributeError, KeyError):  # not UTF-8, not JSON, not an object
            raise InvalidInput("The webhook body is not a JSON Stripe event.")
        # Verified: the body's own JSON, rather than the library's objects, is what gets mapped.
        return self._mapped(json.loads(body))

    def _mapped(self, payload: Any) -> WebhookEvent:
        try:
            kind = WEBHOOK_TYPES.get(payload["type"], "ignored")
            if kind == "ignored":
                return WebhookEvent(id=str(payload["id"]), type="ignored", payment_reference="",
                                    amount=Decimal(0), currency="")
            obj = payload["data"]["object"]
            currency = str(obj["currency"]).upper()
            if kind == "refund.succeeded":
                # The charge's cumulative refunded amount: with partial refunds, each event says the total.
                return WebhookEvent(id=str(payload["id"]), type=kind, payment_reference=str(obj["payment_intent"]),
                                    amount=from_minor_units(obj["amount_refunded"], currency), currency=currency)
            # A succeeded intent says what was actually received (localstripe omits amount_received).
            received = obj.get("amount_received") if kind == "payment.succeeded" else None
            reason = ""
            if kind == "payment.failed":
                reason = str((obj.get("last_payment_error") or {}).get("message") or "The payment failed.")
            return WebhookEvent(id=str(payload["id"]), type=kind, payment_reference=str(obj["id"]),
                                amount=from_minor_units(received if received else obj["amount"], currency),
                                currency=currency, reason=reason)
        except (KeyError, TypeError, ValueError, AttributeError):
            raise InvalidInput("The webhook body is not a Stripe event of the expected shape.")
