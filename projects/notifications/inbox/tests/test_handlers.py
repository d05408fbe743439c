import uuid

import pytest

from marketplace_libs.events import catalogue
from marketplace_libs.testing import deliver, event
from inbox.models import EmailDelivery, Notification

from .conftest import User, order_data, send_pending

ORDER_EVENTS = {
    "order.placed": ({"placed_at": "2026-05-10T09:00:00Z"}, ["seller"]),
    "order.paid": ({"paid_at": "2026-05-10T09:00:00Z", "due_at": "2026-05-13T09:00:00Z"}, ["seller"]),
    "order.delivered": ({"delivered_at": "2026-05-12T09:00:00Z", "message": "Here you go"}, ["buyer"]),
    "order.revision_requested": ({"requested_at": "2026-05-12T10:00:00Z", "message": "Bluer", "revisions_used": 1,
                                  "revisions_allowed": 2}, ["seller"]),
    "order.completed": ({"completed_at": "2026-05-13T09:00:00Z", "by": "buyer"}, ["buyer", "seller"]),
    "order.cancelled": ({"cancelled_at": "2026-05-11T09:00:00Z", "by": "seller", "reason": "Too busy",
                         "refunded": True}, ["buyer", "seller"]),
    "order.extension_requested": ({"extension_id": str(uuid.uuid4()), "days": 3, "reason": "A second colour set",
                                   "due_at": "2026-05-13T09:00:00Z", "requested_at": "2026-05-12T09:00:00Z"},
                                  ["buyer"]),
    "order.extension_answered": ({"extension_id": str(uuid.uuid4()), "days": 3, "status": "accepted",
                                  "due_at": "2026-05-16T09:00:00Z", "answered_at": "2026-05-12T11:00:00Z"}, ["seller"]),
    "order.dispute_opened": ({"dispute_id": str(uuid.uuid4()), "opened_by": str(uuid.uuid4()),
                              "reason": "Not what was ordered", "opened_at": "2026-05-12T09:00:00Z"},
                             ["buyer", "seller"]),
}


def test_a_new_user_is_welcomed_in_app_and_by_email(user, smtp):
    ada = user("ada")
    [welcome] = Notification.objects.filter(user_id=ada.id)
    assert welcome.kind == "welcome" and "ada" in welcome.title
    assert send_pending() == ["sent"]
    [message] = smtp.to("ada@example.com")
    assert message["Subject"] == "Welcome to the marketplace, ada!"
    assert "Hi ada," in smtp.text(message) and "http://" in smtp.text(message)
    assert "<h1" in smtp.html(message) and "Hi ada," in smtp.html(message)


def test_the_password_reset_email_carries_the_link_whatever_the_preferences(user, smtp):
    ada = user("ada_reset")
    deliver(event("user.preferences_updated", {"user_id": ada.id, "email_notifications": False,
                                               "message_emails": False, "language": "en", "currency": "USD",
                                               "timezone": "UTC", "revision": 1}))
    reset_url = "http://127.0.0.1:8080/reset-password?token=abc:def"
    deliver(event("auth.password_reset_requested", {"user_id": ada.id, "email": ada.email, "username": ada.username,
                                                    "reset_url": reset_url, "expires_at": "2026-03-02T10:15:27Z"}))
    send_pending()
    [reset] = [m for m in smtp.to(ada.email) if m["Subject"] == "Reset your password"]
    assert reset_url in smtp.text(reset) and reset_url in smtp.html(reset) and "2026-03-02T10:15" in smtp.text(reset)
    assert not Notification.objects.filter(kind="password_reset").exists()  # email only


def test_the_verification_email_carries_the_link_to_the_address_it_confirms_whatever_the_preferences(user, smtp):
    ada = user("ada_verify")
    deliver(event("user.preferences_updated", {"user_id": ada.id, "email_notifications": False,
                                               "message_emails": False, "language": "en", "currency": "USD",
                                               "timezone": "UTC", "revision": 1}))
    verify_url = "http://127.0.0.1:8080/verify-email?token=q3Xv0bT9Jk2mWc8rLs5NpYd7Ge1Hf4Ua6Zi0Oe3Rt2w"
    verification = event("auth.email_verification_requested", {
        "user_id": ada.id, "email": ada.email, "username": ada.username, "verify_url": verify_url,
        "expires_at": "2026-03-03T10:15:27Z"})
    deliver(verification)
    deliver(verification)  # redelivered: still one email
    send_pending()
    [mail] = [m for m in smtp.to(ada.email) if m["X-Marketplace-Kind"] == "email_verification"]
    assert mail["Subject"] == "Confirm your email address"
    assert verify_url in smtp.text(mail) and verify_url in smtp.html(mail)
    assert "2026-03-03T10:15" in smtp.text(mail) and "Hi ada_verify," in smtp.text(mail)
    assert not Notification.objects.filter(kind="email_verification").exists()  # email only


@pytest.mark.parametrize("event_type", sorted(ORDER_EVENTS))
def test_order_events_reach_the_right_party(user, smtp, event_type):
    buyer, seller = user(), user()
    extra, parties = ORDER_EVENTS[event_type]
    deliver(event(event_type, order_data(buyer, seller, **extra)))
    expected = {{"buyer": buyer, "seller": seller}[party].id for party in parties}
    notified = set(Notification.objects.filter(kind=event_type).values_list("user_id", flat=True))
    assert {str(user_id) for user_id in notified} == expected
    send_pending()
    for party in parties:
        person = {"buyer": buyer, "seller": seller}[party]
        [message] = [m for m in smtp.to(person.email) if m["X-Marketplace-Kind"] == event_type]
        assert "I will design your logo" in message["Subject"] and f"Hi {person.username}," in smtp.text(message)
        assert "/orders/" in smtp.text(message)


def payment_data(buyer: User, seller: User, **extra) -> dict:
    return {"payment_id": str(uuid.uuid4()), "order_id": str(uuid.uuid4()), "buyer_id": buyer.id,
            "seller_id": seller.id, "amount": "42.20", "currency": "USD", **extra}


def payout_data(seller: User, **extra) -> dict:
    return {"payout_id": str(uuid.uuid4()), "seller_id": seller.id, "amount": "100.00", "currency": "USD",
            "provider": "sandbox", **extra}


# event type: (its data for a buyer and a seller, who hears of it, words the title and body must carry)
MONEY_EVENTS = {
    "payment.succeeded": (lambda b, s: payment_data(b, s, provider="sandbox", succeeded_at="2026-05-10T09:05:00Z"),
                          "buyer", ["42.20 USD", "went through"]),
    "payment.failed": (lambda b, s: payment_data(b, s, provider="stripe", reason="Your card was declined.",
                                                 failed_at="2026-05-10T09:05:00Z"),
                       "buyer", ["42.20 USD", "Your card was declined.", "check out again"]),
    "payment.refunded": (lambda b, s: payment_data(b, s, amount="10.00", refunded_total="10.00",
                                                   payment_amount="42.20", refunded_at="2026-05-12T10:00:00Z"),
                         "buyer", ["Refund of 10.00 USD", "10.00 of your 42.20 USD payment so far"]),
    "earnings.cleared": (lambda b, s: {"order_id": str(uuid.uuid4()), "seller_id": s.id, "amount": "32.00",
                                       "currency": "USD", "cleared_at": "2026-05-24T00:01:00Z"},
                         "seller", ["32.00 USD", "available balance"]),
    "payout.paid": (lambda b, s: payout_data(s, paid_at="2026-05-25T00:01:00Z"), "seller", ["100.00 USD"]),
    "payout.failed": (lambda b, s: payout_data(s, reason="The destination account cannot receive transfers.",
                                               failed_at="2026-05-25T00:01:00Z"),
                      "seller", ["100.00 USD", "cannot receive transfers", "back in your available balance"]),
}


@pytest.mark.parametrize("event_type", sorted(MONEY_EVENTS))
def test_money_events_tell_the_party_whose_money_it_is_in_app_and_by_email(user, smtp, event_type):
    buyer, seller = user(), user()
    make_data, party, words = MONEY_EVENTS[event_type]
    data = make_data(buyer, seller)
    catalogue.validate(event_type, data)  # the payment service's events as its schemas describe them
    deliver(event(event_type, data))
    person = {"buyer": buyer, "seller": seller}[party]
    [note] = Notification.objects.filter(kind=event_type)
    assert str(note.user_id) == person.id
    for word in words:
        assert word in f"{note.title} {note.body}", word
    assert note.data["amount"] == data["amount"] and note.data["resource"].startswith("/api/")
    send_pending()
    [message] = [m for m in smtp.to(person.email) if m["X-Marketplace-Kind"] == event_type]
    assert message["Subject"] == note.title and f"Hi {person.username}," in smtp.text(message)


def test_a_full_refund_says_so(user):
    buyer, seller = user(), user()
    deliver(event("payment.refunded", payment_data(buyer, seller, refunded_total="42.20", payment_amount="42.20",
                                                   refunded_at="2026-05-12T10:00:00Z")))
    [note] = Notification.objects.filter(user_id=buyer.id, kind="payment.refunded")
    assert note.title == "Refund of 42.20 USD" and "the whole payment" in note.body


def test_completion_invites_both_parties_to_review_and_congratulates_the_seller(user):
    buyer, seller = user(), user()
    deliver(event("order.completed", order_data(buyer, seller, completed_at="2026-05-13T09:00:00Z", by="system")))
    to_buyer = Notification.objects.get(user_id=buyer.id, kind="order.completed")
    to_seller = Notification.objects.get(user_id=seller.id, kind="order.completed")
    assert "Leave a review" in to_buyer.body and "as you did not respond" in to_buyer.body
    assert "Well done" in to_seller.body and "How was the buyer? Leave a review" in to_seller.body
    assert all("Neither review is shown until" in told.body for told in (to_buyer, to_seller))


@pytest.mark.parametrize("refund, says", [(None, "in the seller's favour"), ("20.00", "20.00 USD is refunded")])
def test_a_dispute_resolved_by_staff_tells_both_parties_the_outcome(user, refund, says):
    buyer, seller = user(), user()
    facts = {"completed_at": "2026-05-13T09:00:00Z", "by": "staff", **({"refund_amount": refund} if refund else {})}
    deliver(event("order.completed", order_data(buyer, seller, **facts)))
    for party in (buyer, seller):
        note = Notification.objects.get(user_id=party.id, kind="order.completed")
        assert "staff resolved the dispute" in note.body and says in note.body and "automatically" not in note.body


def test_extension_answers_and_disputes_say_what_happened(user):
    buyer, seller = user(), user()
    deliver(event("order.extension_answered", order_data(
        buyer, seller, extension_id=str(uuid.uuid4()), days=2, status="declined", due_at="2026-05-13T09:00:00Z",
        answered_at="2026-05-12T11:00:00Z")))
    assert Notification.objects.get(user_id=seller.id, kind="order.extension_answered").title.startswith(
        "Extension declined")
    deliver(event("order.dispute_opened", order_data(
        buyer, seller, dispute_id=str(uuid.uuid4()), opened_by=seller.id, reason="The buyer stopped answering",
        opened_at="2026-05-12T09:00:00Z")))
    note = Notification.objects.get(user_id=buyer.id, kind="order.dispute_opened")
    assert note.body.startswith("The seller opened a dispute") and "on hold" in note.body


def test_a_review_tells_the_seller(user):
    seller = user()
    deliver(event("review.created", {
        "review_id": str(uuid.uuid4()), "order_id": str(uuid.uuid4()), "gig_id": str(uuid.uuid4()),
        "buyer_id": str(uuid.uuid4()), "seller_id": seller.id, "rating": 4, "comment": "Nice", "created_at":
            "2026-05-20T12:00:00Z", "gig_rating": {"rating_avg": "4.00", "rating_count": 1},
        "seller_rating": {"rating_avg": "4.00", "rating_count": 1}}))
    [review] = Notification.objects.filter(user_id=seller.id, kind="review.created")
    assert "★★★★☆" in review.title and "Nice" in review.body


def published_reviews(buyer, seller, *ratings) -> dict:
    authors = {"buyer_to_seller": buyer.id, "seller_to_buyer": seller.id}
    rating = {"rating_avg": "4.00", "rating_count": 1}
    return {"order_id": str(uuid.uuid4()), "gig_id": str(uuid.uuid4()), "buyer_id": buyer.id, "seller_id": seller.id,
            "reason": "both_reviewed" if len(ratings) == 2 else "window_closed", "published_at": "2026-05-21T08:00:00Z",
            "reviews": [{"review_id": str(uuid.uuid4()), "direction": direction, "author_id": authors[direction],
                         "rating": stars, "comment": comment, "created_at": "2026-05-20T12:00:00Z"}
                        for direction, stars, comment in ratings],
            "gig_rating": rating, "seller_rating": rating, "buyer_rating": rating}


def test_published_reviews_tell_each_reviewed_party_once(user):
    buyer, seller = user(), user()
    told = event("review.published", published_reviews(buyer, seller, ("buyer_to_seller", 4, "Nice"),
                                                         ("seller_to_buyer", 5, "Clear brief")))
    deliver(told)
    deliver(told)
    [to_seller] = Notification.objects.filter(user_id=seller.id, kind="review.created")
    [to_buyer] = Notification.objects.filter(user_id=buyer.id, kind="review.created")
    assert "★★★★☆" in to_seller.title and "Nice" in to_seller.body and "public too" in to_seller.body
    assert "★★★★★" in to_buyer.title and "as a buyer" in to_buyer.body and "Clear brief" in to_buyer.body

    deliver(event("review.published", published_reviews(buyer, seller, ("seller_to_buyer", 2, ""))))  # window closed
    lone = Notification.objects.filter(user_id=buyer.id, kind="review.created").order_by("-created_at").first()
    assert "★★☆☆☆" in lone.title and "public too" not in lone.body
    assert Notification.objects.filter(user_id=seller.id, kind="review.created").count() == 1


def test_a_message_notifies_only_recipients_who_were_away(user):
    online, away = user(), user()
    for recipient, is_online in ((online, True), (away, False)):
        deliver(event("message.sent", {
            "message_id": str(uuid.uuid4()), "conversation_id": str(uuid.uuid4()), "sender_id": str(uuid.uuid4()),
            "sender_name": "bruno", "preview": "Hello!", "recipients": [{"user_id": recipient.id, "online": is_online}],
            "gig_id": None, "order_id": None, "sent_at": "2026-05-12T14:03:00Z"}))
    assert not Notification.objects.filter(user_id=online.id, kind="message.new").exists()
    [note] = Notification.objects.filter(user_id=away.id, kind="message.new")
    assert note.title == "New message from bruno" and note.body == "Hello!"


def test_preferences_turn_emails_off_but_not_the_inbox(user, smtp):
    buyer, seller = user(), user()
    deliver(event("user.preferences_updated", {"user_id": seller.id, "email_notifications": False,
                                               "message_emails": True, "language": "en", "currency": "USD",
                                               "timezone": "UTC", "revision": 2}))
    deliver(event("user.preferences_updated", {"user_id": seller.id, "email_notifications": True,
                                               "message_emails": True, "language": "en", "currency": "USD",
                                               "timezone": "UTC", "revision": 1}))  # older, arriving late
    deliver(event("order.placed", order_data(buyer, seller, placed_at="2026-05-10T09:00:00Z")))
    assert Notification.objects.filter(user_id=seller.id, kind="order.placed").exists()
    [delivery] = EmailDelivery.objects.filter(user_id=seller.id, kind="order.placed")
    assert delivery.status == "skipped" and "email_notifications" in delivery.reason
    send_pending()
    assert not [m for m in smtp.to(seller.email) if m["X-Marketplace-Kind"] == "order.placed"]


def test_a_redelivered_event_sends_nothing_twice(user, smtp):
    buyer, seller = user(), user()
    placed = event("order.placed", order_data(buyer, seller, placed_at="2026-05-10T09:00:00Z"))
    deliver(placed)
    deliver(placed)  # the inbox recognises it
    from inbox import services

    services.notify(event_id=placed.id, drafts=__import__("inbox.kinds", fromlist=["x"]).order_placed(placed.data))
    assert Notification.objects.filter(kind="order.placed").count() == 1
    assert EmailDelivery.objects.filter(kind="order.placed").count() == 1
    [delivery_id] = EmailDelivery.objects.filter(kind="order.placed").values_list("pk", flat=True)
    assert services.send_delivery(delivery_id) == "sent"
    assert services.send_delivery(delivery_id) == "not_pending"  # a duplicate task sends nothing
    assert len([m for m in smtp.to(seller.email) if m["X-Marketplace-Kind"] == "order.placed"]) == 1


def test_an_unreachable_smtp_server_leaves_the_email_pending_then_failed(user, settings, monkeypatch):
    from inbox import services

    monkeypatch.setattr(services.time, "sleep", lambda seconds: None)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 1  # nothing listens
    settings.EMAIL_MAX_ATTEMPTS = 5
    ada = user()
    [delivery] = EmailDelivery.objects.filter(user_id=ada.id)
    assert services.send_delivery(delivery.pk) == "pending"
    delivery.refresh_from_db()
    assert delivery.status == "pending" and delivery.attempts == 3 and delivery.last_error
    assert services.send_delivery(delivery.pk) == "failed"
    delivery.refresh_from_db()
    assert delivery.status == "failed" and delivery.attempts == 5
