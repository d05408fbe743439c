import pytest

from edge.public_routes import IGNORED, OPTIONAL, public_route_for


@pytest.mark.parametrize("method,path,token", [
    ("POST", "/api/auth/login", IGNORED),
    ("POST", "/api/auth/register", IGNORED),
    ("POST", "/api/auth/refresh", IGNORED),
    ("POST", "/api/auth/password/reset", IGNORED),
    ("POST", "/api/auth/password/reset/confirm", IGNORED),
    ("POST", "/api/auth/email/verify", IGNORED),
    ("GET", "/api/auth/.well-known/jwks.json", IGNORED),
    ("GET", "/api/gigs/healthz", IGNORED),
    ("GET", "/api/orders/schema/", IGNORED),
    ("GET", "/api/gigs/", OPTIONAL),
    ("GET", "/api/gigs/categories/", OPTIONAL),
    ("GET", "/api/gigs/0b6c2a9e-2f7a-4c4e-9d7e-1f2a3b4c5d6e/", OPTIONAL),
    ("GET", "/api/users/alice", OPTIONAL),
    ("GET", "/api/reviews/", OPTIONAL),
    ("GET", "/api/reviews/summary", OPTIONAL),
    ("GET", "/api/reviews/0b6c2a9e-2f7a-4c4e-9d7e-1f2a3b4c5d6e/", OPTIONAL),
    ("POST", "/api/payments/webhooks/sandbox", IGNORED),
    ("POST", "/api/payments/webhooks/stripe", IGNORED),
    ("POST", "/api/payments/webhooks/stripe/", IGNORED),
    ("GET", "/api/payments/healthz", IGNORED),
    ("GET", "/api/payments/readyz", IGNORED),
    ("GET", "/api/payments/schema/", IGNORED),
])
def test_public_routes(method, path, token):
    route = public_route_for(method, path)
    assert route is not None and route.token == token


@pytest.mark.parametrize("method,path", [
    ("GET", "/api/auth/me"),
    ("POST", "/api/auth/logout"),
    ("POST", "/api/auth/password/change"),
    ("POST", "/api/auth/email/resend"),
    ("GET", "/api/users/me"),
    ("PATCH", "/api/users/me"),
    ("POST", "/api/gigs/"),
    ("PATCH", "/api/gigs/0b6c2a9e-2f7a-4c4e-9d7e-1f2a3b4c5d6e/"),
    ("GET", "/api/orders/"),
    ("POST", "/api/reviews/"),
    ("POST", "/api/reviews/0b6c2a9e-2f7a-4c4e-9d7e-1f2a3b4c5d6e/reply"),
    ("GET", "/api/auth/loginx"),
    ("GET", "/api/auth/login/../me"),
    ("DELETE", "/api/auth/login"),
    ("GET", "/api/chat/conversations/"),
    ("GET", "/api/notifications/"),
    # The order service's webhook is retired: the payment service owns the providers' webhooks.
    ("POST", "/api/orders/payments/webhook"),
    ("POST", "/api/payments/webhooks/paypal"),
    ("GET", "/api/payments/webhooks/stripe"),
    ("POST", "/api/payments/checkout"),
    ("GET", "/api/payments/balance"),
    ("GET", "/api/payments/ledger"),
    ("POST", "/api/payments/payouts"),
    ("GET", "/api/payments/payouts"),
])
def test_everything_else_needs_a_token(method, path):
    assert public_route_for(method, path) is None


def test_every_service_of_the_topology_has_public_health_and_schema():
    from marketplace_libs.topology import ALL_SERVICES

    for spec in ALL_SERVICES:
        for path in ("healthz", "readyz", "schema/"):
            assert public_route_for("GET", f"{spec.api_prefix}{path}").token == IGNORED
