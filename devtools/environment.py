"""Environments the platform runs in from the command line: development and the end-to-end run."""

from __future__ import annotations

import os
from urllib.parse import urlsplit

from marketplace_libs.topology import REPO_ROOT

# The real servers of a developer machine and CI. Tests always run on them (never on
# the embedded defaults); a developer who set the variables gets their own servers.
LOCAL_SERVERS = {
    "MARKETPLACE_DATABASE_URL": "postgres://postgres@127.0.0.1:5432",
    "MARKETPLACE_BROKER_URL": "amqp://guest:guest@127.0.0.1:5672//",
    "MARKETPLACE_REDIS_URL": "redis://127.0.0.1:6379/1",
}

# The end-to-end platform runs beside a developer's own `up`: other ports, databases,
# Redis database and var/ folder, so neither disturbs the other.
E2E_OVERRIDES = {
    "MARKETPLACE_GATEWAY_PORT": "18080",
    "MARKETPLACE_PORT_BASE": "18100",
    "MARKETPLACE_DATABASE_PREFIX": "e2e_marketplace_",
    "MARKETPLACE_VAR_DIR": str(REPO_ROOT / "var" / "e2e"),
    "MARKETPLACE_GATEWAY_RATE_LIMIT": "200",
    # Every e2e client is 127.0.0.1: per-address limits would count the whole suite as one caller.
    "MARKETPLACE_GATEWAY_CREDENTIALS_RATE_LIMIT": "3000",
    "MARKETPLACE_GATEWAY_CREDENTIALS_BURST": "200",
    "MARKETPLACE_LOGIN_FAILURES_PER_ADDRESS": "1000",
    "MARKETPLACE_PUBLIC_URL": "http://127.0.0.1:18080",
    # Both payment providers: checkout takes the sandbox unless the body names stripe, which goes to a
    # localstripe of the suite's own (beside a developer's on 8420), started and told of the gateway by `up`.
    "MARKETPLACE_PAYMENT_PROVIDER": "sandbox",
    "MARKETPLACE_PAYMENT_PROVIDERS": "sandbox,stripe",
    "MARKETPLACE_STRIPE_API_BASE": "http://127.0.0.1:18420",
    "MARKETPLACE_STRIPE_API_KEY": "sk_test_e2e_localstripe",
    "MARKETPLACE_STRIPE_WEBHOOK_SECRET": "whsec_e2e_localstripe",
    # Earnings clear at completion and the payment scheduler runs every 2 s, so that the money's whole
    # journey (pending, cleared, paid out) fits in a test.
    "MARKETPLACE_CLEARANCE_DAYS": "0",
    "MARKETPLACE_PAYMENTS_SCHEDULER_SECONDS": "2",
    # Trust signals a test can reach (docs/trust-signals.md): level_one at 2 completed orders, with no review and
    # an account of any age (its on-time and completion rates keep their 0.90); presence settles within seconds.
    "MARKETPLACE_LEVEL_ONE_MIN_ORDERS": "2",
    "MARKETPLACE_LEVEL_ONE_MIN_RATING": "0",
    "MARKETPLACE_LEVEL_ONE_MIN_ACCOUNT_AGE_DAYS": "0",
    "MARKETPLACE_CHAT_PRESENCE_GRACE_SECONDS": "1",
    "MARKETPLACE_CHAT_PRESENCE_SWEEP_SECONDS": "1",
}


def test_environment(base: dict | None = None) -> dict:
    env = dict(os.environ if base is None else base)
    for name, value in LOCAL_SERVERS.items():
        env.setdefault(name, value)
    # Servers the tests start themselves (osmem-server, aiosmtpd): a developer's own must not be written to.
    for name in ("MARKETPLACE_ELASTICSEARCH_URL", "MARKETPLACE_EMAIL_URL"):
        env.pop(name, None)
    # Nor a developer's Stripe account: tests pay through the sandbox and localstripe only.
    for name in ("MARKETPLACE_PAYMENT_PROVIDER", "MARKETPLACE_PAYMENT_PROVIDERS", "MARKETPLACE_STRIPE_API_BASE",
                 "MARKETPLACE_STRIPE_API_KEY", "MARKETPLACE_STRIPE_WEBHOOK_SECRET"):
        env.pop(name, None)
    # Tests flush their Redis database: never the one a developer's platform may be using.
    env["MARKETPLACE_REDIS_URL"] = with_redis_db(env["MARKETPLACE_REDIS_URL"], 1)
    return env


def with_redis_db(url: str, db: int) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/{db}"


def e2e_environment() -> dict:
    env = test_environment()
    env.update(E2E_OVERRIDES)
    env["MARKETPLACE_REDIS_URL"] = with_redis_db(env["MARKETPLACE_REDIS_URL"], 2)
    return env


def with_vhost(url: str, vhost: str) -> str:
    """``url`` (an AMQP URL) on RabbitMQ virtual host ``vhost``."""
    from urllib.parse import urlunsplit

    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{vhost}", parts.query, ""))


def _rabbitmqctl(*arguments: str, check: bool = True) -> None:
    import subprocess

    from .servers import as_root, program

    # Debian's rabbitmqctl runs only as root or rabbitmq (it reads the server's Erlang cookie), and
    # lives in /usr/sbin, off a user's PATH.
    command = as_root([program("rabbitmqctl") or "rabbitmqctl", "-q", *arguments], why="rabbitmqctl")
    subprocess.run(command, check=check, capture_output=True, timeout=60)


def vhost_isolation_impossible() -> str | None:
    """Why RabbitMQ virtual hosts cannot be made here, or None when they can."""
    import shutil

    from .servers import program

    if program("rabbitmqctl") is None:
        return "rabbitmqctl is not installed"
    if os.geteuid() != 0 and shutil.which("sudo") is None:
        return "rabbitmqctl needs root, and this user has no sudo"
    return None


def fresh_vhost(name: str, *, user: str = "guest") -> bool:
    """Recreate RabbitMQ virtual host ``name``, empty, for ``user``: a test run or a benchmark then
    shares no exchange or queue with a developer's platform or an earlier run (durable queues outlive
    their consumers and would receive every event published meanwhile). False, said on stderr, when
    it cannot be made."""
    import sys

    impossible = vhost_isolation_impossible()
    if impossible:
        print(f"WARNING: no RabbitMQ vhost {name!r} of its own ({impossible}): this run shares the broker's "
              "default vhost, and its queues, with every other user of it.", file=sys.stderr, flush=True)
        return False
    drop_vhost(name)
    _rabbitmqctl("add_vhost", name)
    _rabbitmqctl("set_permissions", "-p", name, user, ".*", ".*", ".*")
    return True


def drop_vhost(name: str) -> None:
    """Delete RabbitMQ virtual host ``name`` and everything in it, if it is there."""
    if vhost_isolation_impossible():
        return
    _rabbitmqctl("delete_vhost", name, check=False)


def isolated_broker(env: dict, vhost: str) -> dict:
    """``env`` with its broker on a fresh vhost of its own (unchanged when that cannot be made)."""
    url = env.get("MARKETPLACE_BROKER_URL")
    if url and url.startswith("amqp") and fresh_vhost(vhost, user=urlsplit(url).username or "guest"):
        env = {**env, "MARKETPLACE_BROKER_URL": with_vhost(url, vhost)}
    return env
