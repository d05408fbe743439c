"""The routes that need no access token: the one list the gateway consults.

Everything under ``/api/`` not listed here needs a valid access token at the
edge. ``IGNORED`` routes never look at the Authorization header (a stale
token sent to ``login`` by habit must not stop a login); ``OPTIONAL`` ones
verify a token when one is sent, so a bad token is still refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from marketplace_libs.topology import ALL_SERVICES

IGNORED = "ignored"
OPTIONAL = "optional"
UUID = r"[0-9a-fA-F-]{36}"
# Every service of the topology, so that a new one's health and schema are public from its first day.
SERVICES = "(" + "|".join(re.escape(spec.name) for spec in ALL_SERVICES) + ")"


@dataclass(frozen=True)
class PublicRoute:
    methods: frozenset[str]
    pattern: re.Pattern
    token: str

    def matches(self, method: str, path: str) -> bool:
        return method in self.methods and bool(self.pattern.fullmatch(path))


def _route(methods: str, pattern: str, token: str = OPTIONAL) -> PublicRoute:
    return PublicRoute(frozenset(methods.split()), re.compile(pattern), token)


READ = "GET HEAD OPTIONS"

PUBLIC_ROUTES: tuple[PublicRoute, ...] = (
    # Platform: health, readiness and schema of every service.
    _route(READ, rf"/api/{SERVICES}/(healthz|readyz|schema/)", IGNORED),
    # Auth: everything that happens before one has a token.
    # email/verify: the link's token is the credential; whoever opens the link may not be signed in.
    _route("POST", r"/api/auth/(register|login|refresh|password/reset|password/reset/confirm|email/verify)", IGNORED),
    _route(READ, r"/api/auth/\.well-known/jwks\.json", IGNORED),
    # Users: public profiles (but not "me").
    _route(READ, r"/api/users/(?!me(/|$))[^/]+/?"),
    # Gigs: browse, search, categories, one gig.
    _route(READ, r"/api/gigs/(categories/)?"),
    _route(READ, rf"/api/gigs/{UUID}/"),
    # Reviews: lists, summaries and one review (a published one is public; its author sees their own hidden
    # one with a token, so the token is optional, not ignored).
    _route(READ, r"/api/reviews/(summary/?)?"),
    _route(READ, rf"/api/reviews/{UUID}/"),
    # Payments: the providers' webhooks, authenticated by their signatures (the sandbox's
    # X-Payment-Signature, Stripe's Stripe-Signature), never by a user's token.
    _route("POST", r"/api/payments/webhooks/(sandbox|stripe)/?", IGNORED),
)


def public_route_for(method: str, path: str) -> PublicRoute | None:
    return next((route for route in PUBLIC_ROUTES if route.matches(method.upper(), path)), None)
