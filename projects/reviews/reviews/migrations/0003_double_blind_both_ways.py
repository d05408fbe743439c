"""Reviews go both ways and are double-blind (issue 22).

Every review written before this was a buyer's review of the seller that was public, and counted, from
the moment it was written: it becomes ``buyer_to_seller``, ``published`` at its ``created_at``, written by
its buyer. The aggregates already count exactly these reviews, so they stay as they are.
"""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import F, Q


def published_buyer_reviews(apps, schema_editor):
    Review = apps.get_model("reviews", "Review")
    Review.objects.update(direction="buyer_to_seller", status="published", published_at=F("created_at"),
                          author_id=F("buyer_id"))


class Migration(migrations.Migration):

    dependencies = [
        ("reviews", "0002_person_display_name"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="review", name="review_gig_idx"),
        migrations.RemoveIndex(model_name="review", name="review_seller_idx"),
        migrations.AlterField(model_name="review", name="order_id", field=models.UUIDField()),
        migrations.AddField(
            model_name="review", name="direction",
            field=models.CharField(choices=[("buyer_to_seller", "Buyer To Seller"),
                                            ("seller_to_buyer", "Seller To Buyer")],
                                   default="buyer_to_seller", max_length=15),
        ),
        migrations.AddField(
            model_name="review", name="status",
            field=models.CharField(choices=[("hidden", "Hidden"), ("published", "Published")], default="published",
                                   max_length=9),
        ),
        migrations.AddField(model_name="review", name="published_at",
                            field=models.DateTimeField(blank=True, null=True)),
        # The buyer's card becomes a plain id (the same column, buyer_id, and its index): the card of a buyer
        # reviewed by their seller may not be here yet. Only the foreign key constraint goes.
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.AlterField(
                model_name="review", name="buyer",
                field=models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.PROTECT,
                                        related_name="reviews_as_buyer", to="reviews.person"),
            )],
            state_operations=[
                migrations.RemoveField(model_name="review", name="buyer"),
                migrations.AddField(model_name="review", name="buyer_id", field=models.UUIDField(db_index=True),
                                    preserve_default=False),
            ],
        ),
        migrations.AddField(
            model_name="review", name="author",
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name="reviews",
                                    to="reviews.person"),
        ),
        migrations.AlterField(
            model_name="ratingaggregate", name="subject_type",
            field=models.CharField(choices=[("gig", "Gig"), ("seller", "Seller"), ("buyer", "Buyer")], max_length=6),
        ),
        migrations.RunPython(published_buyer_reviews, migrations.RunPython.noop),
        # Constraints and indexes in 0004: PostgreSQL refuses ALTER TABLE in the transaction that has just
        # updated rows under a deferred foreign key.
    ]
