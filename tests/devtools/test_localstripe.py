"""devtools/localstripe.py: the localstripe a platform running the stripe provider gets, and its webhooks."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
import stripe

from devtools import localstripe
from marketplace_libs.testing import free_port


@pytest.mark.parametrize("env, wanted", [
    ({}, False),
    ({"MARKETPLACE_PAYMENT_PROVIDER": "sandbox"}, False),
    ({"MARKETPLACE_PAYMENT_PROVIDER": "stripe"}, True),
    ({"MARKETPLACE_PAYMENT_PROVIDERS": "sandbox, stripe"}, True),
    ({"MARKETPLACE_PAYMENT_PROVIDERS": "sandbox,stripe", "MARKETPLACE_STRIPE_API_BASE": "https://api.stripe.com"},
     False),
    ({"MARKETPLACE_PAYMENT_PROVIDERS": "sandbox,stripe", "MARKETPLACE_STRIPE_API_KEY": "sk_test_real_account"}, False),
    ({"MARKETPLACE_PAYMENT_PROVIDERS": "sandbox,stripe", "MARKETPLACE_STRIPE_API_KEY": "sk_test_x",
      "MARKETPLACE_STRIPE_API_BASE": "http://127.0.0.1:8420"}, True),
])
def test_localstripe_is_wanted_only_for_stripe_on_this_machine(env, wanted):
    assert localstripe.wanted(env) is wanted


def test_defaults_fill_only_what_the_person_left_empty():
    env = localstripe.with_defaults({"MARKETPLACE_STRIPE_WEBHOOK_SECRET": "whsec_mine",
                                     "MARKETPLACE_STRIPE_API_BASE": ""})

    assert env["MARKETPLACE_STRIPE_API_BASE"] == localstripe.DEFAULT_API_BASE
    assert env["MARKETPLACE_STRIPE_WEBHOOK_SECRET"] == "whsec_mine"
    assert env["MARKETPLACE_STRIPE_API_KEY"].startswith("sk_")


@pytest.fixture
def received():
    """A real HTTP server standing in for the gateway's webhook route (it keeps what it is sent)."""
    bodies = []
    arrived = threading.Event()

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self):
            bodies.append((self.path, self.headers["Stripe-Signature"],
                           self.rfile.read(int(self.headers["Content-Length"]))))
            arrived.set()
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}", bodies, arrived
    server.shutdown()
    server.server_close()


def test_localstripe_is_started_once_and_sends_signed_webhooks_to_the_gateway(tmp_path, received):
    gateway_url, bodies, arrived = received
    env = localstripe.with_defaults({"MARKETPLACE_PAYMENT_PROVIDERS": "sandbox,stripe",
                                     "MARKETPLACE_STRIPE_API_BASE": f"http://127.0.0.1:{free_port()}"})
    process = localstripe.ensure_running(env, log_dir=tmp_path)
    try:
        assert process is not None
        assert localstripe.ensure_running(env, log_dir=tmp_path) is None  # answering: left alone
        localstripe.register_webhook(env, endpoint_id="devtools-test", gateway_url=gateway_url)

        client = stripe.StripeClient(env["MARKETPLACE_STRIPE_API_KEY"],
                                     base_addresses={"api": env["MARKETPLACE_STRIPE_API_BASE"]})
        intent = client.v1.payment_intents.create(params={"amount": 2500, "currency": "usd",
                                                          "payment_method": "pm_card_visa"})
        client.v1.payment_intents.confirm(intent.id)

        assert arrived.wait(30), "localstripe sent no webhook"
        path, signature, body = bodies[0]
        assert path == "/api/payments/webhooks/stripe"
        event = stripe.Webhook.construct_event(body, signature, env["MARKETPLACE_STRIPE_WEBHOOK_SECRET"])
        assert (event.type, json.loads(body)["data"]["object"]["id"]) == ("payment_intent.succeeded", intent.id)
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_a_registration_localstripe_refuses_is_an_error(tmp_path):
    env = localstripe.with_defaults({"MARKETPLACE_STRIPE_API_BASE": f"http://127.0.0.1:{free_port()}"})
    process = localstripe.ensure_running(env, log_dir=tmp_path)
    try:
        with pytest.raises(httpx.HTTPStatusError):
            localstripe.register_webhook(env, endpoint_id="bad", gateway_url="ftp://nowhere")
    finally:
        process.terminate()
        process.wait(timeout=10)
