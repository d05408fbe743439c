"""Email verification through the gateway, on the real servers: the link arrives by SMTP, an unverified
user may browse but not order, check out, publish or chat, and following the link (then a refresh) opens
them up. Forged and reused tokens are refused; the link is sent again at most once a minute."""

from __future__ import annotations

import json
import uuid

import pytest
from websockets.sync.client import connect

from .support import assert_problem, become_seller, publish_gig, token_claims, wait_for

ORDERS = "/api/orders"


def refused_as_unverified(response) -> dict:
    body = assert_problem(response, 403)
    assert body["type"] == "urn:marketplace:problem:email_unverified", body
    assert "/api/auth/refresh" in body["detail"]
    return body


@pytest.fixture(scope="module")
def gig_on_sale(platform):
    import httpx

    with httpx.Client(base_url=platform.base_url, timeout=10) as client:
        seller = become_seller(platform, client, platform.log_in(client, platform.register(client)))
        return seller, publish_gig(client, seller, "I will proofread your thesis", price="80.00")


def test_an_unverified_user_is_refused_an_order_and_allowed_after_following_the_link(platform, gateway, gig_on_sale):
    seller, gig = gig_on_sale
    buyer = platform.log_in(gateway, platform.register(gateway, verified=False))
    assert token_claims(buyer.access)["email_verified"] is False
    assert gateway.get("/api/auth/me", headers=buyer.auth()).json()["email_verified"] is False

    # Browsing and the profile stay open.
    assert gateway.get(f"/api/gigs/{gig['id']}/").status_code == 200
    assert gateway.get(ORDERS + "/", headers=buyer.auth()).status_code == 200
    assert gateway.patch("/api/users/me", headers=buyer.auth(), json={"bio": "Writing a thesis."}).status_code == 200

    order_body = {"gig_id": gig["id"], "package": "basic", "requirements": "Chapter two, please."}
    refused_as_unverified(gateway.post(f"{ORDERS}/", headers=buyer.auth(), json=order_body))
    refused_as_unverified(gateway.post("/api/payments/checkout", headers=buyer.auth(),
                                       json={"order_id": str(uuid.uuid4())}))

    platform.verify_email(gateway, buyer)  # the link from the email caught by the suite's SMTP server
    assert gateway.get("/api/auth/me", headers=buyer.auth()).json()["email_verified"] is True
    # The token in hand was issued before: it still says false, and a refresh brings the claim.
    refused_as_unverified(gateway.post(f"{ORDERS}/", headers=buyer.auth(), json=order_body))
    refreshed = gateway.post("/api/auth/refresh", json={"refresh": buyer.refresh})
    assert refreshed.status_code == 200, refreshed.text
    buyer.access, buyer.refresh = refreshed.json()["access"], refreshed.json()["refresh"]
    assert token_claims(buyer.access)["email_verified"] is True

    def place():
        response = gateway.post(f"{ORDERS}/", headers=buyer.auth(), json=order_body)
        return response.json() if response.status_code == 201 else None

    order = wait_for(place, interval=0.2, what="gig.created to reach the order service")
    assert order["status"] == "pending_payment" and order["buyer_id"] == buyer.id


def test_an_unverified_seller_drafts_but_does_not_publish_and_an_unverified_user_does_not_chat(platform, gateway):
    seller = become_seller(platform, gateway, platform.log_in(gateway, platform.register(gateway, verified=False)))
    gig = {"title": "I will translate your website into Spanish", "category": "copywriting", "tags": ["e2e"],
           "description": "Native, careful translation of every page, with a glossary of your terms.",
           "packages": [{"tier": "basic", "title": "Ten pages", "price": "90.00", "currency": "USD",
                         "delivery_days": 4, "revisions": 1}]}
    refused_as_unverified(gateway.post("/api/gigs/", headers=seller.auth(), json={**gig, "status": "active"}))
    draft = gateway.post("/api/gigs/", headers=seller.auth(), json={**gig, "status": "draft"})
    assert draft.status_code == 201, draft.text
    refused_as_unverified(gateway.patch(f"/api/gigs/{draft.json()['id']}/", headers=seller.auth(),
                                        json={"status": "active"}))

    friend = platform.log_in(gateway, platform.register(gateway))

    def open_conversation():
        response = gateway.post("/api/chat/conversations/", headers=seller.auth(), json={"participant_id": friend.id})
        return response.json() if response.status_code in (200, 201) else None

    conversation = wait_for(open_conversation, interval=0.2, what="user.registered to reach the chat service")
    refused_as_unverified(gateway.post(f"/api/chat/conversations/{conversation['id']}/messages/",
                                       headers=seller.auth(), json={"body": "Hola!"}))
    ws = platform.base_url.replace("http://", "ws://") + f"/ws/chat/?token={seller.access}"
    with connect(ws, open_timeout=10) as socket:
        socket.send(json.dumps({"type": "message.send", "conversation_id": conversation["id"], "body": "Hola!"}))
        frame = json.loads(socket.recv(timeout=10))
        assert frame["type"] == "error" and frame["code"] == "email_unverified", frame
    history = gateway.get(f"/api/chat/conversations/{conversation['id']}/messages/", headers=friend.auth())
    assert history.status_code == 200 and history.json()["results"] == []


def test_a_forged_and_a_reused_token_are_400(platform, gateway):
    user = platform.register(gateway, verified=False)
    forged = gateway.post("/api/auth/email/verify", json={"token": "q3Xv0bT9Jk2mWc8rLs5NpYd7Ge1Hf4Ua6Zi0Oe3Rt2w"})
    assert_problem(forged, 400, field="token")
    token = platform.verification_token(user)
    assert gateway.post("/api/auth/email/verify", json={"token": token}).status_code == 204
    assert_problem(gateway.post("/api/auth/email/verify", json={"token": token}), 400, field="token")
    assert token_claims(platform.log_in(gateway, user).access)["email_verified"] is True


def test_the_link_is_sent_again_at_most_once_a_minute(platform, gateway):
    user = platform.log_in(gateway, platform.register(gateway, verified=False))
    first = platform.verification_token(user)  # the registration's email has arrived
    response = gateway.post("/api/auth/email/resend", headers=user.auth())
    body = assert_problem(response, 429)
    assert body["type"].endswith(":rate_limited")
    assert 1 <= int(response.headers["retry-after"]) <= 60
    assert gateway.post("/api/auth/email/verify", json={"token": first}).status_code == 204
    # Nothing left to confirm: no email, 409.
    assert_problem(gateway.post("/api/auth/email/resend", headers=user.auth()), 409)
    assert len(platform.mail.to(user.email, "email_verification")) == 1
