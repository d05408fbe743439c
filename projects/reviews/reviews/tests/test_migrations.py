"""Migrations 0003-0004 on reviews written before double-blind: the buyer's, published, counted as before."""

import uuid

import pytest
from django.utils import timezone

from marketplace_libs.testing import migrated_to, migrated_to_latest

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("reviews", "0002_person_display_name")]
AFTER = [("reviews", "0004_double_blind_constraints")]


@pytest.fixture
def at_0002():
    apps = migrated_to(BEFORE)
    yield apps
    migrated_to_latest("reviews")


def test_existing_reviews_become_published_buyer_reviews(at_0002):
    buyer = at_0002.get_model("reviews", "Person").objects.create(user_id=uuid.uuid4(), username="early_bird")
    written = timezone.now() - timezone.timedelta(days=30)
    old = at_0002.get_model("reviews", "Review").objects.create(
        order_id=uuid.uuid4(), gig_id=uuid.uuid4(), seller_id=uuid.uuid4(), buyer=buyer, rating=4, comment="Fine",
        created_at=written)

    apps = migrated_to(AFTER)

    review = apps.get_model("reviews", "Review").objects.get(pk=old.pk)
    assert (review.direction, review.status, review.published_at) == ("buyer_to_seller", "published", written)
    assert review.author_id == review.buyer_id == buyer.pk
