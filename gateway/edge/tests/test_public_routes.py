import pytest

from edge.public_routes import IGNORED, OPTIONAL, public_route_for


@pytest.mark.parametrize("method,path,token", [
    ("POST", "/api/auth/login", IGNORED),
    ("POST", "/api/auth/register", IGNORED),
    ("POST", "/api/auth/refresh", IGNORED),
    ("POST", "/api/auth/password/reset", IGNORED),
    ("POST", "/api/auth/password/reset/confirm", IGNORED),
    ("GET", "/api/auth/.well-known/jwks.json", IGNORED),
    ("GET", "/api/gigs/healthz", IGNORED),
    ("GET", "/api/orders/schema/", IGNORED),
    ("GET", "/api/gigs/", OPTIONAL),
    ("GET", "/api/gigs/categories/", OPTIONAL),
    ("GET", "/api/gigs/0b6c2a9e-2f7a-4c4e-9d7e-1f2a3b4c5d6e/", OPTIONAL),
    ("GET", "/api/users/alice", OPTIONAL),
    ("GET", "/api/reviews/", OPTIONAL),
    ("GET", "/api/reviews/summary", OPTIONAL),
    ("POST", "/api/orders/payments/webhook", IGNORED),
])
def test_public_routes(method, path, token):
    route = public_route_for(method, path)
    assert route is not None and route.token == token


@pytest.mark.parametrize("method,path", [
    ("GET", "/api/auth/me"),
    ("POST", "/api/auth/logout"),
    ("POST", "/api/auth/password/change"),
    ("GET", "/api/users/me"),
    ("PATCH", "/api/users/me"),
    ("POST", "/api/gigs/"),
    ("PATCH", "/api/gigs/0b6c2a9e-2f7a-4c4e-9d7e-1f2a3b4c5d6e/"),
    ("GET", "/api/orders/"),
    ("POST", "/api/reviews/"),
    ("GET", "/api/auth/loginx"),
    ("GET", "/api/auth/login/../me"),
    ("DELETE", "/api/auth/login"),
    ("GET", "/api/chat/conversations/"),
    ("GET", "/api/notifications/"),
])
def test_everything_else_needs_a_token(method, path):
    assert public_route_for(method, path) is None
