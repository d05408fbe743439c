"""Custom offers: the buyer hears of an offer (and of its withdrawal), the seller of the answer, and both of
an expiry; in the app and by email, each once."""

import uuid

import pytest

from marketplace_libs.events import catalogue
from marketplace_libs.testing import deliver, event
from inbox.models import Notification

from .conftest import User, send_pending


def offer_data(buyer: User, seller: User, status: str = "pending", **extra) -> dict:
    data = {"offer_id": str(uuid.uuid4()), "conversation_id": str(uuid.uuid4()), "seller_id": seller.id,
            "buyer_id": buyer.id, "gig_id": str(uuid.uuid4()), "title": "Logo and business cards",
            "description": "Three concepts.", "price": "240.00", "currency": "USD", "delivery_days": 6,
            "revisions": "unlimited", "status": status, "expires_at": "2026-06-08T09:00:00.000000Z",
            "created_at": "2026-06-01T09:00:00.000000Z", "order_id": None, **extra}
    if status != "pending":
        data[f"{status}_at"] = "2026-06-02T09:00:00.000000Z"
    return data


# event type: (status, extra data, kind, who hears of it, words the title and body carry, the API resource)
OFFER_EVENTS = {
    "offer.created": ("pending", {}, "offer.received", ["buyer"], ["Logo and business cards", "240.00 USD",
                                                                    "6 day(s)", "2026-06-08 09:00"], "offer"),
    "offer.accepted": ("accepted", {"order_id": "7b2f3c4d-8e9a-4b1c-9d2e-3f4a5b6c7d8e"}, "offer.accepted", ["seller"],
                       ["accepted", "order is placed"], "order"),
    "offer.declined": ("declined", {}, "offer.declined", ["seller"], ["declined"], "offer"),
    "offer.withdrawn": ("withdrawn", {}, "offer.withdrawn", ["buyer"], ["withdrew"], "offer"),
    "offer.expired": ("expired", {}, "offer.expired", ["buyer", "seller"], ["expired", "in time"], "offer"),
}


@pytest.mark.parametrize("event_type", sorted(OFFER_EVENTS))
def test_offer_events_reach_the_right_party_once(user, smtp, event_type):
    buyer, seller = user(), user()
    status, extra, kind, parties, words, resource = OFFER_EVENTS[event_type]
    data = offer_data(buyer, seller, status, **extra)
    catalogue.validate(event_type, data)  # as the order service's schemas describe it
    offer_event = event(event_type, data)
    deliver(offer_event)
    deliver(offer_event)  # redelivered: nothing more
    notes = Notification.objects.filter(kind=kind)
    expected = {{"buyer": buyer, "seller": seller}[party].id for party in parties}
    assert {str(note.user_id) for note in notes} == expected and len(notes) == len(parties)
    for note in notes:
        text = f"{note.title} {note.body}"
        assert any(word in text for word in words), text
        assert note.data["offer_id"] == data["offer_id"]
        expected_resource = (f"/api/orders/{data['order_id']}/" if resource == "order"
                             else f"/api/orders/offers/{data['offer_id']}/")
        assert note.data["resource"] == expected_resource
    if event_type == "offer.created":
        [received] = notes
        for word in words:
            assert word in f"{received.title} {received.body}", word
    send_pending()
    for party in parties:
        person = {"buyer": buyer, "seller": seller}[party]
        [message] = [m for m in smtp.to(person.email) if m["X-Marketplace-Kind"] == kind]
        assert "Logo and business cards" in message["Subject"] and f"Hi {person.username}," in smtp.text(message)
