"""Migrations 0003-0004 on reviews written before double-blind: the buyer's, published, counted as before."""

import uuid

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("reviews", "0002_person_display_name")]
AFTER = [("reviews", "0004_double_blind_constraints")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.fixture
def at_0002():
    apps = migrate(BEFORE)
    yield apps
    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes("reviews"))  # back to the newest for the others


def test_existing_reviews_become_published_buyer_reviews(at_0002):
    buyer = at_0002.get_model("reviews", "Person").objects.create(user_id=uuid.uuid4(), username="early_bird")
    written = timezone.now() - timezone.timedelta(days=30)
    old = at_0002.get_model("reviews", "Review").objects.create(
        order_id=uuid.uuid4(), gig_id=uuid.uuid4(), seller_id=uuid.uuid4(), buyer=buyer, rating=4, comment="Fine",
        created_at=written)

    apps = migrate(AFTER)

    review = apps.get_model("reviews", "Review").objects.get(pk=old.pk)
    assert (review.direction, review.status, review.published_at) == ("buyer_to_seller", "published", written)
    assert review.author_id == review.buyer_id == buyer.pk
