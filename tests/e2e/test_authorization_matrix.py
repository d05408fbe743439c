"""Who may call what: every route of every service x {anonymous, buyer, seller, another user, staff},
through the gateway, with the expected answer of each cell in one table.

The people: the *seller* owns the gig, the review's order and the order; the *buyer* placed the order
(still awaiting payment), wrote the review (published: the seller reviewed the buyer too) and talks with
the seller in the conversation; *another* user has no part in any of it; *staff* is a staff account with
an ordinary access token (staff powers live in the admin, which no bearer token opens). Writes send an
empty JSON body, so a caller who is let through meets the validation (400) and nothing changes; the few
writes without a body come after everything else that uses their object, and run the owner's cell last
(columns run in the order anonymous, another, staff, buyer, seller).

Reading a row: ``401`` the gateway asks for a token; ``403`` refused (the caller may know the thing
exists); ``404`` the thing does not exist for this caller; ``302`` the admin's sign-in page. A new route
without a row fails ``test_every_route_has_a_row``.
"""

from __future__ import annotations

import re
import uuid

import pytest

from .support import become_seller, completed_order, publish_gig, wait_for

ROLES = ("anon", "buyer", "seller", "other", "staff")
RUN_ORDER = ("anon", "other", "staff", "buyer", "seller")

# The bodies of the writes (the last column): "-" sends none (GET, DELETE) or {} (the validation answers
# for whoever is let through); a name sends a valid body, so the answer is the authorization's.
BODIES = {
    "message": {"message": "Here is the work."},
    "reason": {"reason": "Plans changed."},
    "review": {"order_id": "{reviewed_order}", "rating": 4, "comment": "Good work."},
    "reply": {"comment": "Thank you!"},
    "chat": {"body": "Any news?"},
    "read_mark": {"message_id": "{message}"},
    "checkout": {"order_id": "{reviewed_order}"},
    "extension": {"days": 2, "reason": "The brief grew."},
    "dispute": {"reason": "Not as described"},
    "payout": {"amount": "1000000.00", "currency": "USD"},
}

# method  path                                                anon buyer seller other staff  body
MATRIX = """
GET     /api/{service}/healthz                                200  200   200    200   200    -
GET     /api/{service}/readyz                                 200  200   200    200   200    -
GET     /api/{service}/schema/                                200  200   200    200   200    -
GET     /admin/{service}/                                     302  302   302    302   302    -

POST    /api/auth/register                                    400  400   400    400   400    -
POST    /api/auth/login                                       400  400   400    400   400    -
POST    /api/auth/refresh                                     400  400   400    400   400    -
POST    /api/auth/logout                                      401  400   400    400   400    -
GET     /api/auth/me                                          401  200   200    200   200    -
POST    /api/auth/password/change                             401  400   400    400   400    -
POST    /api/auth/password/reset                              400  400   400    400   400    -
POST    /api/auth/password/reset/confirm                      400  400   400    400   400    -
POST    /api/auth/email/verify                                400  400   400    400   400    -
POST    /api/auth/email/resend                                401  409   409    409   409    -
GET     /api/auth/.well-known/jwks.json                       200  200   200    200   200    -

GET     /api/users/me                                         401  200   200    200   200    -
PATCH   /api/users/me                                         401  200   200    200   200    -
POST    /api/users/me/seller                                  401  400   400    400   400    -
PATCH   /api/users/me/seller                                  401  404   200    404   404    -
GET     /api/users/me/preferences                             401  200   200    200   200    -
PATCH   /api/users/me/preferences                             401  200   200    200   200    -
GET     /api/users/{seller_username}                          200  200   200    200   200    -

GET     /api/gigs/                                            200  200   200    200   200    -
POST    /api/gigs/                                            401  403   400    403   403    -
GET     /api/gigs/categories/                                 200  200   200    200   200    -
GET     /api/gigs/{gig}/                                      200  200   200    200   200    -
PATCH   /api/gigs/{gig}/                                      401  403   200    403   403    -
POST    /api/gigs/{gig}/images/                               401  403   400    403   403    -
DELETE  /api/gigs/{gig}/images/{unknown}/                     401  403   404    403   403    -
GET     /api/gigs/favourites/                                 401  200   200    200   200    -
PUT     /api/gigs/{gig}/favourite                             401  204   204    204   204    -
DELETE  /api/gigs/{gig}/favourite                             401  204   204    204   204    -
PUT     /api/gigs/{unknown}/favourite                         401  404   404    404   404    -
DELETE  /api/gigs/{spare_gig}/                                401  403   204    403   403    -

GET     /api/orders/                                          401  200   200    200   200    -
POST    /api/orders/                                          401  400   400    400   400    -
GET     /api/orders/summary                                   401  200   200    200   200    -
GET     /api/orders/{order}/                                  401  200   200    404   404    -
POST    /api/orders/{order}/deliver                           401  403   409    404   404    message
POST    /api/orders/{order}/request-revision                  401  409   403    404   404    message
POST    /api/orders/{order}/accept                            401  409   403    404   404    -
GET     /api/orders/{order}/files                             401  200   200    404   404    -
POST    /api/orders/{order}/files                             401  400   400    404   404    -
GET     /api/orders/{order}/files/{unknown}                   401  404   404    404   404    -
POST    /api/orders/{order}/extensions                        401  403   409    404   404    extension
POST    /api/orders/{order}/extensions/{unknown}/accept       401  404   404    404   404    -
POST    /api/orders/{order}/extensions/{unknown}/decline      401  404   404    404   404    -
POST    /api/orders/{order}/dispute                           401  409   409    404   404    dispute
POST    /api/orders/{order}/cancel                            401  200   409    404   404    reason
GET     /api/orders/offers/                                   401  200   200    200   200    -
POST    /api/orders/offers/                                   401  403   400    403   403    -
GET     /api/orders/offers/{offer}/                           401  200   200    404   404    -
POST    /api/orders/offers/{spare_offer}/decline              401  200   403    404   404    -
POST    /api/orders/offers/{spare_offer}/withdraw             401  403   409    404   404    -
POST    /api/orders/offers/{offer}/accept                     401  201   403    404   404    -

GET     /api/reviews/?seller_id={seller_id}                   200  200   200    200   200    -
POST    /api/reviews/                                         401  409   409    403   403    review
GET     /api/reviews/{review}/                                200  200   200    200   200    -
GET     /api/reviews/summary?seller_id={seller_id}            200  200   200    200   200    -
POST    /api/reviews/{review}/reply                           401  403   200    403   403    reply

GET     /api/chat/conversations/                              401  200   200    200   200    -
POST    /api/chat/conversations/                              401  400   400    400   400    -
GET     /api/chat/conversations/{conversation}/messages/      401  200   200    404   404    -
POST    /api/chat/conversations/{conversation}/messages/      401  201   201    404   404    chat
POST    /api/chat/conversations/{conversation}/read           401  204   204    404   404    read_mark
POST    /api/chat/conversations/{conversation}/files          401  400   400    404   404    -
GET     /api/chat/conversations/{conversation}/files/{unknown}  401  404   404    404   404    -
GET     /api/chat/conversations/{conversation}/files/{unknown}/thumbnail  401  404  404  404  404  -

GET     /api/notifications/                                   401  200   200    200   200    -
GET     /api/notifications/unread-count                       401  200   200    200   200    -
POST    /api/notifications/{notification}/read                401  404   204    404   404    -
POST    /api/notifications/read-all                           401  204   204    204   204    -

POST    /api/payments/checkout                                401  400   400    400   400    -
POST    /api/payments/checkout                                401  409   404    404   404    checkout
POST    /api/payments/webhooks/sandbox                        400  400   400    400   400    -
POST    /api/payments/webhooks/stripe                         400  400   400    400   400    -
GET     /api/payments/balance                                 401  200   200    200   200    -
GET     /api/payments/ledger                                  401  200   200    200   200    -
GET     /api/payments/payouts                                 401  403   200    403   403    -
POST    /api/payments/payouts                                 401  403   400    403   403    -
POST    /api/payments/payouts                                 401  403   409    403   403    payout
"""

SERVICES = ("auth", "users", "gigs", "orders", "reviews", "chat", "notifications", "payments")


def rows() -> list[tuple[str, str, dict[str, int], str]]:
    table = []
    for line in MATRIX.strip().splitlines():
        if not line.strip():
            continue
        method, path, *answers, body = line.split()
        expected = dict(zip(ROLES, map(int, answers), strict=True))
        for service in (SERVICES if "{service}" in path else (None,)):
            table.append((method, path.replace("{service}", service) if service else path, expected, body))
    return table


def body_for(method: str, name: str, names: dict):
    if name != "-":
        return {key: value.format(**names) if isinstance(value, str) else value
                for key, value in BODIES[name].items()}
    return {} if method in ("POST", "PATCH") else None


@pytest.fixture(scope="module")
def world(platform):
    """The people and the things the table's paths name, made through the gateway like any client's."""
    import httpx

    with httpx.Client(base_url=platform.base_url, timeout=15) as client:
        def person():
            return platform.log_in(client, platform.register(client))

        seller = become_seller(platform, client, person())
        buyer, other, staff = person(), person(), platform.register(client)
        platform.manage("auth", "shell", "-c", "from accounts.models import User; "
                        f"User.objects.filter(pk='{staff.id}').update(is_staff=True)")
        platform.log_in(client, staff)

        gig = publish_gig(client, seller, "I will proofread your product documentation")
        spare_gig = publish_gig(client, seller, "I will proofread your release notes")
        reviewed = completed_order(platform, client, buyer, seller, gig)
        review = client.post("/api/reviews/", headers=buyer.auth(),
                             json={"order_id": reviewed["id"], "rating": 5, "comment": "Careful and quick."})
        assert review.status_code == 201, review.text
        # The seller reviews the buyer too, which publishes both (double-blind): the reply needs a published review.
        of_buyer = client.post("/api/reviews/", headers=seller.auth(),
                               json={"order_id": reviewed["id"], "rating": 5, "comment": "Clear brief."})
        assert of_buyer.status_code == 201 and of_buyer.json()["status"] == "published", of_buyer.text
        order = client.post("/api/orders/", headers=buyer.auth(), json={"gig_id": gig["id"], "package": "basic"})
        assert order.status_code == 201, order.text

        def conversation():
            response = client.post("/api/chat/conversations/", headers=buyer.auth(),
                                   json={"participant_id": seller.id})
            return response.json() if response.status_code in (200, 201) else None

        talk = wait_for(conversation, what="chat to know both people")
        sent = client.post(f"/api/chat/conversations/{talk['id']}/messages/", headers=seller.auth(),
                           json={"body": "Hello, how can I help?"})
        assert sent.status_code == 201, sent.text

        def offer():
            response = client.post("/api/orders/offers/", headers=seller.auth(), json={
                "conversation_id": talk["id"], "buyer_id": buyer.id, "title": "Proofreading, two passes",
                "price": "80.00", "currency": "USD", "delivery_days": 4, "revisions": 1, "expires_in_days": 3})
            return response.json() if response.status_code == 201 else None

        offered = wait_for(offer, what="conversation.started to reach the order service")
        spare_offer = wait_for(offer, what="a second offer")

        def seller_notification():
            results = client.get("/api/notifications/", headers=seller.auth()).json().get("results")
            return results[0] if results else None

        return {
            "people": {"anon": None, "buyer": buyer, "seller": seller, "other": other, "staff": staff},
            "names": {
                "seller_username": seller.username, "seller_id": seller.id, "gig": gig["id"],
                "spare_gig": spare_gig["id"], "unknown": str(uuid.uuid4()), "order": order.json()["id"],
                "review": review.json()["id"], "reviewed_order": reviewed["id"],
                "conversation": talk["id"], "message": sent.json()["id"], "offer": offered["id"],
                "spare_offer": spare_offer["id"],
                "notification": wait_for(seller_notification, what="a notification for the seller")["id"],
            },
        }


def test_every_cell_of_the_matrix(platform, world):
    import httpx

    wrong = []
    with httpx.Client(base_url=platform.base_url, timeout=15, follow_redirects=False) as client:
        for method, path, expected, body_name in rows():
            url = path.format(**world["names"])
            for role in RUN_ORDER:
                person = world["people"][role]
                headers = person.auth() if person else {}
                body = body_for(method, body_name, world["names"])
                status = client.request(method, url, headers=headers, json=body).status_code
                if status != expected[role]:
                    wrong.append(f"{method} {path} as {role}: {status}, expected {expected[role]}")
    assert not wrong, "\n".join(wrong)


def _routes_of(platform, service: str) -> set[tuple[str, str]]:
    """(method, route) of every API route the service's URLconf has, its routes as the table spells them."""
    listing = platform.manage(service, "shell", "-c", """
from django.urls import get_resolver
def walk(patterns, prefix=""):
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if hasattr(pattern, "url_patterns"):
            yield from walk(pattern.url_patterns, route)
            continue
        view = getattr(pattern.callback, "view_class", None)
        methods = [m for m in ("get", "post", "put", "patch", "delete") if view and hasattr(view, m)] or ["get"]
        for method in methods:
            print(method.upper(), "/" + route)
list(walk(get_resolver().url_patterns))
""")
    routes = set()
    for method, route in re.findall(r"^(GET|POST|PUT|PATCH|DELETE) (/\S*)$", listing, re.M):
        if route.startswith(f"/api/{service}/"):
            routes.add((method, re.sub(r"<[^>]+>", "{}", route)))
    return routes


def test_every_route_has_a_row(platform):
    in_table = {(method, re.sub(r"\{[^}]+\}", "{}", path.split("?")[0])) for method, path, *_ in rows()}
    missing = set()
    for service in SERVICES:
        missing |= _routes_of(platform, service) - in_table
    assert not missing, f"add a row to MATRIX for: {sorted(missing)}"
