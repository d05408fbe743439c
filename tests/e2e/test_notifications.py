"""Notifications through the gateway, on the real servers: in-app rows, the socket through nginx, and
emails received by a real SMTP server (aiosmtpd, started by the suite)."""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qs, urlsplit

import httpx
from websockets.sync.client import connect

from .support import PASSWORD, become_seller, completed_order, publish_gig, wait_for

NOTIFICATIONS = "/api/notifications"


def test_a_new_user_is_welcomed_in_the_app_and_by_email(platform, gateway, session):
    wait_for(lambda: gateway.get(f"{NOTIFICATIONS}/", headers=session.auth()).json()["count"] >= 1,
             what="the welcome notification")
    [welcome] = gateway.get(f"{NOTIFICATIONS}/", headers=session.auth()).json()["results"]
    assert welcome["kind"] == "welcome" and session.username in welcome["title"]
    assert gateway.get(f"{NOTIFICATIONS}/unread-count", headers=session.auth()).json() == {"unread": 1}
    [email] = wait_for(lambda: platform.mail.to(session.email, "welcome"), what="the welcome email")
    assert f"Hi {session.username}," in platform.mail.text(email)
    assert gateway.post(f"{NOTIFICATIONS}/{welcome['id']}/read", headers=session.auth()).status_code == 204
    assert gateway.get(f"{NOTIFICATIONS}/unread-count", headers=session.auth()).json() == {"unread": 0}
    other = platform.log_in(gateway, platform.register(gateway))
    assert gateway.post(f"{NOTIFICATIONS}/{welcome['id']}/read", headers=other.auth()).status_code == 404


def test_the_reset_email_carries_a_link_that_resets_the_password(platform, gateway, new_user):
    assert gateway.post("/api/auth/password/reset", json={"email": new_user.email}).status_code == 202
    [email] = wait_for(lambda: platform.mail.to(new_user.email, "password_reset"), what="the reset email")
    link = re.search(r"https?://\S+", platform.mail.text(email)).group(0)
    assert link.startswith(platform.base_url)
    token = parse_qs(urlsplit(link).query)["token"][0]
    new_password = PASSWORD + " renewed"
    confirmed = gateway.post("/api/auth/password/reset/confirm", json={"token": token, "new_password": new_password})
    assert confirmed.status_code == 204, confirmed.text
    assert gateway.post("/api/auth/login", json={"email": new_user.email, "password": new_password}).status_code == 200


def test_a_chat_message_to_someone_away_from_chat_is_pushed_on_their_notification_socket(platform, gateway):
    sender = platform.log_in(gateway, platform.register(gateway))
    recipient = platform.log_in(gateway, platform.register(gateway))
    socket_url = platform.base_url.replace("http://", "ws://") + f"/ws/notifications/?token={recipient.access}"
    with connect(socket_url) as socket:
        def conversation():
            response = gateway.post("/api/chat/conversations/", headers=sender.auth(),
                                    json={"participant_id": recipient.id})
            return response.json() if response.status_code in (200, 201) else None

        chat = wait_for(conversation, interval=0.2, what="the recipient to reach the chat service")
        gateway.post(f"/api/chat/conversations/{chat['id']}/messages/", headers=sender.auth(),
                     json={"body": "Are you free for a quick job?"})
        while True:
            frame = json.loads(socket.recv(timeout=15))
            if frame["type"] == "notification.new" and frame["notification"]["kind"] == "message.new":
                break
        assert frame["notification"]["body"] == "Are you free for a quick job?"
        assert sender.username in frame["notification"]["title"]


def test_an_order_tells_each_party_by_email_and_preferences_turn_emails_off(platform, gateway):
    with httpx.Client(base_url=platform.base_url, timeout=10) as client:
        seller = become_seller(platform, client, platform.log_in(client, platform.register(client)))
        buyer = platform.log_in(client, platform.register(client))
        muted = client.patch("/api/users/me/preferences", headers=buyer.auth(), json={"email_notifications": False})
        assert muted.status_code == 200
        gig = publish_gig(client, seller, "I will proofread your thesis chapter")
        wait_for(lambda: platform.mail.to(buyer.email, "welcome"), what="the buyer's welcome email")
        order = completed_order(platform, client, buyer, seller, gig)

    for kind in ("order.placed", "order.paid", "order.completed"):
        [email] = wait_for(lambda kind=kind: platform.mail.to(seller.email, kind), what=f"the {kind} email")
        assert gig["title"] in email["Subject"] and f"/orders/{order['id']}" in platform.mail.text(email)
    wait_for(lambda: any(n["kind"] == "order.delivered" for n in
                         gateway.get(f"{NOTIFICATIONS}/", headers=buyer.auth()).json()["results"]),
             what="the buyer's delivered notification")
    with platform.database("notifications") as db:
        status = wait_for(lambda: db.execute("SELECT status FROM inbox_emaildelivery WHERE user_id = %s AND kind = "
                                             "'order.delivered'", [buyer.id]).fetchone(), what="the delivery row")
    assert status[0] == "skipped"  # the buyer turned emails off: the notification, but no email
    assert not platform.mail.to(buyer.email, "order.delivered")

    # data.link is the web client's page (a client route); data.resource is the API call that answers.
    delivered = next(n for n in gateway.get(f"{NOTIFICATIONS}/", headers=buyer.auth()).json()["results"]
                     if n["kind"] == "order.delivered")
    assert delivered["data"]["link"] == f"{platform.env['MARKETPLACE_PUBLIC_URL']}/orders/{order['id']}"
    assert delivered["data"]["resource"] == f"/api/orders/{order['id']}/"
    assert gateway.get(delivered["data"]["resource"], headers=buyer.auth()).json()["id"] == order["id"]
