"""Reviews both ways, double-blind: the constraints and indexes, once 0003 has filled the new columns."""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import Q


class Migration(migrations.Migration):

    dependencies = [
        ("reviews", "0003_double_blind_both_ways"),
    ]

    operations = [
        migrations.AlterField(
            model_name="review", name="author",
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="reviews",
                                    to="reviews.person"),
        ),
        migrations.AlterField(
            model_name="review", name="status",
            field=models.CharField(choices=[("hidden", "Hidden"), ("published", "Published")], default="hidden",
                                   max_length=9),
        ),
        migrations.AddConstraint(
            model_name="review",
            constraint=models.UniqueConstraint(fields=("order_id", "direction"), name="review_once_per_party"),
        ),
        migrations.AddConstraint(
            model_name="review",
            constraint=models.CheckConstraint(
                condition=(Q(status="hidden", published_at__isnull=True)
                           | Q(status="published", published_at__isnull=False)),
                name="review_published_at_with_status"),
        ),
        migrations.AddIndex(
            model_name="review",
            index=models.Index(condition=Q(is_hidden=False, status="published", direction="buyer_to_seller"),
                               fields=["gig_id", "-published_at", "id"], name="review_gig_public_idx"),
        ),
        migrations.AddIndex(
            model_name="review",
            index=models.Index(condition=Q(is_hidden=False, status="published", direction="buyer_to_seller"),
                               fields=["seller_id", "-published_at", "id"], name="review_seller_public_idx"),
        ),
        migrations.AddIndex(
            model_name="review",
            index=models.Index(condition=Q(is_hidden=False, status="published", direction="seller_to_buyer"),
                               fields=["buyer_id", "-published_at", "id"], name="review_buyer_public_idx"),
        ),
        migrations.AddIndex(
            model_name="review",
            index=models.Index(condition=Q(status="hidden"), fields=["order_id"], name="review_awaiting_idx"),
        ),
    ]
