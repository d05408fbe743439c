"""gig.price_dropped: each saver the gig service names hears of it, in the app and by email, once."""

import uuid

from marketplace_libs.events import catalogue
from marketplace_libs.testing import deliver, event
from inbox import kinds
from inbox.models import EmailDelivery, Notification

from .conftest import send_pending


def dropped(*user_ids, part=1, parts=1) -> dict:
    data = {"gig_id": str(uuid.uuid4()), "seller_id": str(uuid.uuid4()), "title": "I will design your logo",
            "old_price": "40.00", "new_price": "30.00", "currency": "USD", "user_ids": list(user_ids),
            "part": part, "parts": parts, "dropped_at": "2026-05-10T09:00:00Z"}
    catalogue.validate("gig.price_dropped", data)  # as the gig service's schema describes it
    return data


def test_every_saver_named_is_told_in_app_and_by_email_and_nobody_else(user, smtp):
    ada, bob, carol = user(), user(), user()
    data = dropped(ada.id, bob.id)
    deliver(event("gig.price_dropped", data))
    notes = Notification.objects.filter(kind="gig.price_dropped")
    assert sorted(str(note.user_id) for note in notes) == sorted([ada.id, bob.id])
    note = notes.get(user_id=ada.id)
    assert note.title == "Price drop: I will design your logo"
    assert "now starts at 30.00 USD" in note.body and "40.00 USD" in note.body
    assert note.data["resource"] == f"/api/gigs/{data['gig_id']}/" and note.data["link"].endswith(f"/gigs/{data['gig_id']}")
    assert (note.data["old_price"], note.data["new_price"], note.data["currency"]) == ("40.00", "30.00", "USD")
    listed = ada.client.get("/api/notifications/").json()["results"]
    assert [item["kind"] for item in listed if item["kind"] == "gig.price_dropped"] == ["gig.price_dropped"]
    send_pending()
    [message] = [m for m in smtp.to(ada.email) if m["X-Marketplace-Kind"] == "gig.price_dropped"]
    assert message["Subject"] == note.title and "See the gig" in smtp.text(message)
    assert not Notification.objects.filter(user_id=carol.id, kind="gig.price_dropped").exists()


def test_the_same_event_twice_tells_once_and_each_part_tells_its_own_savers(user):
    ada, bob = user(), user()
    first = event("gig.price_dropped", dropped(ada.id, parts=2))
    second_part = {**first.data, "user_ids": [bob.id], "part": 2}
    deliver(first)
    deliver(first)
    deliver(event("gig.price_dropped", second_part))
    assert Notification.objects.filter(kind="gig.price_dropped").count() == 2
    assert EmailDelivery.objects.filter(kind="gig.price_dropped").count() == 2


def test_a_saver_who_wants_no_emails_is_told_in_the_app_only(user):
    ada = user()
    deliver(event("user.preferences_updated", {"user_id": ada.id, "email_notifications": False,
                                               "message_emails": True, "language": "en", "currency": "USD",
                                               "timezone": "UTC", "revision": 1}))
    deliver(event("gig.price_dropped", dropped(ada.id)))
    assert Notification.objects.filter(user_id=ada.id, kind="gig.price_dropped").exists()
    assert EmailDelivery.objects.get(user_id=ada.id, kind="gig.price_dropped").status == "skipped"


def test_the_kind_points_at_the_gig():
    [draft] = kinds.gig_price_dropped(dropped("5d6e7f80-91a2-4b3c-8d4e-5f6a7b8c9d0e"))
    assert kinds.resource(draft.kind, draft.data) == f"/api/gigs/{draft.data['gig_id']}/"
