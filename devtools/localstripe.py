"""localstripe: a fake but stateful Stripe server for the platform when it runs the ``stripe`` provider
on a developer's machine or in the end-to-end suite (the payment service's own tests start one each).

It is installed into .venv from requirements/dev.txt (its requirements do not clash with ours, and it
runs only as a separate process: its GPL code is never imported by ours). ``ensure_running`` starts it
on ``MARKETPLACE_STRIPE_API_BASE`` (default http://127.0.0.1:8420) when nothing answers there, detached
like the machine's other servers, with a fresh store; ``register_webhook`` points its webhooks at a
gateway (localstripe has no other way to learn where to send them).
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

from .servers import LOCAL_HOSTS, answers

DEFAULT_API_BASE = "http://127.0.0.1:8420"
START_TIMEOUT_SECONDS = 30
WEBHOOK_EVENTS = ("payment_intent.succeeded", "payment_intent.payment_failed", "charge.refunded")


def program() -> Path:
    return Path(sys.executable).parent / "localstripe"


def enabled_providers(env: dict) -> set[str]:
    listed = env.get("MARKETPLACE_PAYMENT_PROVIDERS") or env.get("MARKETPLACE_PAYMENT_PROVIDER") or "sandbox"
    return {name.strip() for name in listed.split(",") if name.strip()}


def wanted(env: dict) -> bool:
    """Whether this platform runs the stripe provider against a local server (no key of a real account)."""
    if "stripe" not in enabled_providers(env):
        return False
    api_base = env.get("MARKETPLACE_STRIPE_API_BASE")
    if not api_base:
        # A key and no other server: Stripe itself (a developer's test-mode account), never localstripe.
        return not env.get("MARKETPLACE_STRIPE_API_KEY")
    return (urlsplit(api_base).hostname or "") in LOCAL_HOSTS


def with_defaults(env: dict) -> dict:
    """``env`` with the stripe variables a local localstripe needs, where the person set none."""
    env = dict(env)
    env.setdefault("MARKETPLACE_STRIPE_API_BASE", DEFAULT_API_BASE)
    env["MARKETPLACE_STRIPE_API_BASE"] = env["MARKETPLACE_STRIPE_API_BASE"] or DEFAULT_API_BASE
    # localstripe takes any key shaped like a secret key; the webhook secret signs its webhooks to us.
    env["MARKETPLACE_STRIPE_API_KEY"] = env.get("MARKETPLACE_STRIPE_API_KEY") or "sk_test_localstripe"
    env["MARKETPLACE_STRIPE_WEBHOOK_SECRET"] = env.get("MARKETPLACE_STRIPE_WEBHOOK_SECRET") or "whsec_localstripe"
    return env


def ensure_running(env: dict, *, log_dir: Path) -> subprocess.Popen | None:
    """Starts localstripe at ``MARKETPLACE_STRIPE_API_BASE`` unless something answers there already;
    the process it started, or None."""
    parts = urlsplit(env.get("MARKETPLACE_STRIPE_API_BASE") or DEFAULT_API_BASE)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    if answers(host, port):
        return None
    if host not in LOCAL_HOSTS:
        raise SystemExit(f"Stripe at MARKETPLACE_STRIPE_API_BASE={parts.geturl()} does not answer "
                         "(it is not this machine's, so it is not started here)")
    if not program().exists():
        raise SystemExit(f"localstripe is not installed in {program().parent} (requirements/dev.txt)")
    log_dir.mkdir(parents=True, exist_ok=True)
    print(f"Starting localstripe on port {port} ...", flush=True)
    with open(log_dir / f"localstripe-{port}.log", "ab") as log:
        # Its own session: it outlives this command like the machine's other servers, and a Ctrl-C of
        # `up` does not take it down with the platform.
        process = subprocess.Popen([str(program()), "--port", str(port), "--from-scratch"],
                                   stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True, cwd=log_dir)
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while not answers(host, port):
        if process.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"localstripe did not start on port {port}; see {log_dir / f'localstripe-{port}.log'}")
        time.sleep(0.1)
    return process


def register_webhook(env: dict, *, endpoint_id: str, gateway_url: str) -> None:
    """Sends localstripe's payment webhooks to ``gateway_url``'s Stripe webhook route, signed with
    ``MARKETPLACE_STRIPE_WEBHOOK_SECRET``. The same ``endpoint_id`` again replaces the endpoint."""
    import httpx

    api_base = (env.get("MARKETPLACE_STRIPE_API_BASE") or DEFAULT_API_BASE).rstrip("/")
    response = httpx.post(f"{api_base}/_config/webhooks/{endpoint_id}", timeout=10, json={
        "url": f"{gateway_url.rstrip('/')}/api/payments/webhooks/stripe",
        "secret": env["MARKETPLACE_STRIPE_WEBHOOK_SECRET"],
        "events": list(WEBHOOK_EVENTS)})
    response.raise_for_status()
