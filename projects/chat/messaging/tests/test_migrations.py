"""Migration 0004: the conversations started before conversation.started existed are announced once, so
the order service learns their participants and offers can be made in them."""

import uuid

import pytest
from django.utils import timezone

from marketplace_libs.testing import migrated_to, migrated_to_latest, published

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def at_0003():
    apps = migrated_to([("messaging", "0004_offer_messages")])
    yield apps
    migrated_to_latest("messaging")


def test_existing_conversations_are_announced(at_0003):
    low, high = sorted([uuid.uuid4(), uuid.uuid4()])
    gig_id = uuid.uuid4()
    old = at_0003.get_model("messaging", "Conversation").objects.create(user_low=low, user_high=high, gig_id=gig_id,
                                                                         created_at=timezone.now())
    migrated_to([("messaging", "0005_announce_existing_conversations")])
    [started] = published("conversation.started")
    assert started["conversation_id"] == str(old.pk) and started["participant_ids"] == [str(low), str(high)]
    assert started["gig_id"] == str(gig_id) and started["order_id"] is None
