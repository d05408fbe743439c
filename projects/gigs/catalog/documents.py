"""The Elasticsearch document of a gig (django-elasticsearch-dsl), used when MARKETPLACE_ELASTICSEARCH_URL is set.

Only active, non-deleted gigs are in the index. Nothing here listens to model signals: the search
module indexes or removes the gigs a transaction changed once it commits (``search.elastic``), and
``manage.py search_index --rebuild -f`` rebuilds the whole index from the database.
"""

from __future__ import annotations

from django.conf import settings
from django_elasticsearch_dsl import Document, fields
from django_elasticsearch_dsl.registries import registry
from elasticsearch.dsl import DateNanos

from .models import Gig, GigStatus

ANALYZER = "english"  # stems and drops stop words, like the database's `english` text search configuration


class DateNanosField(fields.DEDField, DateNanos):
    """``date_nanos``: keeps the microseconds of ``created_at``, so ordering by it ties exactly where the database's does."""


@registry.register_document
class GigDocument(Document):
    id = fields.KeywordField()  # the last tie-breaker of every ordering (sorting on _id is not allowed)
    title = fields.TextField(analyzer=ANALYZER)
    tags = fields.TextField(analyzer=ANALYZER, fields={"raw": fields.KeywordField()})
    description = fields.TextField(analyzer=ANALYZER)
    status = fields.KeywordField()
    category_id = fields.IntegerField()
    seller_id = fields.KeywordField()
    # Money and ratings are exact to the cent in the database: scaled floats keep them exact here too.
    price_from = fields.ScaledFloatField(scaling_factor=100)
    fastest_delivery_days = fields.IntegerField()
    rating_avg = fields.ScaledFloatField(scaling_factor=100)
    rating_count = fields.IntegerField()
    orders_count = fields.IntegerField()
    created_at = DateNanosField()

    class Index:
        name = settings.MARKETPLACE_ELASTICSEARCH_INDEX
        # One shard: scores (and so the relevance order) do not depend on which shard holds a gig.
        settings = {"number_of_shards": 1}

    class Django:
        model = Gig
        ignore_signals = True  # kept in step on commit by catalog.search.elastic
        auto_refresh = False
        queryset_pagination = 500

    def get_queryset(self):
        return (Gig.objects.filter(status=GigStatus.ACTIVE, deleted_at__isnull=True)
                .prefetch_related("tags").order_by("created_at", "id"))

    def should_index_object(self, obj: Gig) -> bool:
        return is_searchable(obj)

    def prepare_id(self, gig: Gig) -> str:
        return str(gig.pk)

    def prepare_tags(self, gig: Gig) -> list[str]:
        return sorted(tag.name for tag in gig.tags.all())

    def prepare_seller_id(self, gig: Gig) -> str:
        return str(gig.seller_id)

    def prepare_price_from(self, gig: Gig) -> float:
        return float(gig.price_from)

    def prepare_rating_avg(self, gig: Gig) -> float | None:
        return None if gig.rating_avg is None else float(gig.rating_avg)

    def prepare_created_at(self, gig: Gig) -> str:
        return gig.created_at.isoformat()

    @classmethod
    def generate_id(cls, gig: Gig) -> str:
        return str(gig.pk)


def is_searchable(gig: Gig) -> bool:
    return gig.status == GigStatus.ACTIVE and gig.deleted_at is None
