"""Search in the service's own database: PostgreSQL full-text search, or a plain match on SQLite.

PostgreSQL: a weighted ``tsvector`` (title A, tags B, description C) kept on the gig and indexed
with GIN; terms match as prefixes (``logo desi`` finds "logo design"); results rank by
``ts_rank_cd``. When no gig matches, the query is retried on title trigrams (``pg_trgm``,
``%>`` with a GIN trigram index), which forgives a typo per word ("desgin" finds "design").
"""

from __future__ import annotations

from django.db import connection
from django.db.models import Case, Count, F, IntegerField, Q, QuerySet, Value, When

from .. import rules
from ..models import Category, Gig, GigStatus
from .query import Facets, GigQuery

TRIGRAM_THRESHOLD = 0.45


def search(query: GigQuery) -> tuple[QuerySet[Gig], "callable"]:
    """The ordered results (sliceable, countable) and a function computing their facets."""
    gigs = _filtered(query)
    if query.terms:
        gigs = _matching(gigs, query)
    ordered = _ordered(gigs, query)
    return ordered, lambda: facets_of(gigs.order_by())


def _filtered(query: GigQuery) -> QuerySet[Gig]:
    gigs = Gig.objects.filter(status=GigStatus.ACTIVE, deleted_at__isnull=True)
    if query.category_ids:
        gigs = gigs.filter(category_id__in=query.category_ids)
    if query.min_price is not None:
        gigs = gigs.filter(price_from__gte=query.min_price)
    if query.max_price is not None:
        gigs = gigs.filter(price_from__lte=query.max_price)
    if query.delivery_days is not None:
        gigs = gigs.filter(fastest_delivery_days__lte=query.delivery_days)
    if query.min_rating is not None:
        gigs = gigs.filter(rating_avg__gte=query.min_rating)
    if query.seller_id is not None:
        gigs = gigs.filter(seller_id=query.seller_id)
    for tag in query.tags:
        gigs = gigs.filter(tags__name=tag)
    return gigs


def _matching(gigs: QuerySet[Gig], query: GigQuery) -> QuerySet[Gig]:
    if connection.vendor == "postgresql":
        return _postgres_matching(gigs, query)
    condition = Q()
    relevance = Value(0)
    for term in query.terms:
        condition &= Q(title__icontains=term) | Q(tags_text__icontains=term) | Q(description__icontains=term)
        relevance = relevance + Case(When(title__icontains=term, then=Value(4)), default=Value(0),
                                     output_field=IntegerField()) \
            + Case(When(tags_text__icontains=term, then=Value(2)), default=Value(0), output_field=IntegerField())
    return gigs.filter(condition).annotate(relevance=relevance)


def _postgres_matching(gigs: QuerySet[Gig], query: GigQuery) -> QuerySet[Gig]:
    from django.contrib.postgres.search import SearchQuery, SearchRank

    tsquery = SearchQuery(" & ".join(f"{term}:*" for term in query.terms), search_type="raw", config="english")
    matched = gigs.filter(search_vector=tsquery)
    if matched.exists():
        return matched.annotate(relevance=SearchRank(F("search_vector"), tsquery, cover_density=True))
    from django.contrib.postgres.search import TrigramWordSimilarity

    phrase = " ".join(query.terms)
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('pg_trgm.word_similarity_threshold', %s, false)", [str(TRIGRAM_THRESHOLD)])
    return gigs.filter(title__trigram_word_similar=phrase).annotate(
        relevance=TrigramWordSimilarity(phrase, "title"))


def _ordered(gigs: QuerySet[Gig], query: GigQuery) -> QuerySet[Gig]:
    # Every ordering ends on the id, so pages never overlap nor skip a gig between requests.
    by = {
        "relevance": [F("relevance").desc(), "-created_at", "id"],
        "-created_at": ["-created_at", "id"],
        "price": ["price_from", "id"],
        "-price": ["-price_from", "id"],
        "-rating": [F("rating_avg").desc(nulls_last=True), "-rating_count", "id"],
        "-orders": ["-orders_count", "id"],
    }[query.ordering]
    return gigs.select_related("seller", "category").prefetch_related("packages", "tags", "images").order_by(*by)


def facets_of(gigs: QuerySet[Gig]) -> Facets:
    per_category = gigs.values("category_id").annotate(count=Count("id")).order_by()
    counts = {row["category_id"]: row["count"] for row in per_category}
    names = {category.pk: category for category in Category.objects.filter(pk__in=counts)}
    categories = sorted(({"slug": names[pk].slug, "name": names[pk].name, "count": count}
                         for pk, count in counts.items()), key=lambda row: (-row["count"], row["slug"]))
    bands = {}
    for index, (low, high) in enumerate(rules.PRICE_BANDS):
        condition = Q(price_from__gte=low) & (Q(price_from__lt=high) if high is not None else Q())
        bands[f"band{index}"] = Count("id", filter=condition)
    totals = gigs.aggregate(**bands)
    price_bands = [{"min": f"{low:.2f}", "max": None if high is None else f"{high:.2f}",
                    "count": totals[f"band{index}"]} for index, (low, high) in enumerate(rules.PRICE_BANDS)]
    return Facets(categories=categories, price_bands=price_bands)
