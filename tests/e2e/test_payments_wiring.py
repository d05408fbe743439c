"""The payment service's place in the platform: both providers enabled, Stripe's on a localstripe
that `up` started and told where the gateway's Stripe webhook route is. (The payment journeys
themselves are in their own tests.)"""

from __future__ import annotations

import json
import time

import stripe

from marketplace_libs.logging_setup import flatten


def test_the_e2e_platform_runs_sandbox_and_stripe_on_localstripe(platform):
    env = platform.env
    assert env["MARKETPLACE_PAYMENT_PROVIDER"] == "sandbox"
    assert set(env["MARKETPLACE_PAYMENT_PROVIDERS"].split(",")) == {"sandbox", "stripe"}
    client = stripe.StripeClient(env["MARKETPLACE_STRIPE_API_KEY"],
                                 base_addresses={"api": env["MARKETPLACE_STRIPE_API_BASE"]})

    intent = client.v1.payment_intents.create(params={"amount": 1000, "currency": "usd"})

    assert intent.id.startswith("pi_") and intent.status == "requires_payment_method"


def test_the_stripe_webhook_route_needs_no_token_at_the_gateway(platform, gateway):
    # No Authorization header: the gateway lets it through to the payment service, which answers for
    # itself (never the gateway's 401).
    response = gateway.post("/api/payments/webhooks/stripe", content=b"{}",
                            headers={"Content-Type": "application/json"})
    assert response.status_code != 401
    assert "X-Auth-Error" not in response.headers


def test_localstripe_sends_its_webhooks_through_the_gateway(platform):
    env = platform.env
    client = stripe.StripeClient(env["MARKETPLACE_STRIPE_API_KEY"],
                                 base_addresses={"api": env["MARKETPLACE_STRIPE_API_BASE"]})
    intent = client.v1.payment_intents.create(params={"amount": 2500, "currency": "usd",
                                                      "payment_method": "pm_card_visa"})
    client.v1.payment_intents.confirm(intent.id)

    # localstripe posts a second after the change; nginx writes its access log within a second.
    deadline = time.monotonic() + 30
    while True:
        posted = [line for line in _nginx_lines(platform)
                  if line.get("url.path") == "/api/payments/webhooks/stripe" and line["http.request.method"] == "POST"
                  and line["http.response.status_code"] != 401]
        if posted or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert posted, "no Stripe webhook reached the gateway"


def _nginx_lines(platform) -> list[dict]:
    lines = []
    for text in platform.log_path.read_text().splitlines():
        if '"nginx.access"' not in text:
            continue
        lines.append(flatten(json.loads(text.split("| ", 1)[1])))
    return lines
