"""Search in the service's own database: PostgreSQL full-text search, or a plain match on SQLite.

PostgreSQL: a weighted ``tsvector`` (title A, tags B, description C) kept on the gig and indexed
with GIN; terms match as prefixes (``logo desi`` finds "logo design"); results rank by
``ts_rank_cd``. When no gig matches, the query is retried on title trigrams (``pg_trgm``,
``%>`` with a GIN trigram index), which forgives a typo per word ("desgin" finds "design").

A search costs two statements over the matching gigs, whatever their number (figures in
docs/performance.md, bench/gig_search.py): one grouped statement answers the count and both facets
(per category, per price band) at once, and tells whether the full-text match found anything; a
page is then chosen by ids alone, which the partial indexes of migration 0004 answer index-only
for browsing, and only its gigs are read in full, by primary key, with their details.
"""

from __future__ import annotations

from django.db import connection
from django.db.models import Case, Count, F, IntegerField, Q, QuerySet, Value, When

from .. import rules
from ..models import Category, Gig, GigStatus
from . import memo
from .query import Facets, GigQuery

TRIGRAM_THRESHOLD = 0.45

# Every ordering ends on the id, so pages never overlap nor skip a gig between requests.
ORDER_BY = {
    "relevance": [F("relevance").desc(), "-created_at", "id"],
    "-created_at": ["-created_at", "id"],
    "price": ["price_from", "id"],
    "-price": ["-price_from", "id"],
    "-rating": [F("rating_avg").desc(nulls_last=True), "-rating_count", "id"],
    "-orders": ["-orders_count", "id"],
}


def search(query: GigQuery) -> tuple["DatabaseResults", "callable"]:
    """The ordered results (sliceable, countable) and a function computing their facets."""
    results = DatabaseResults(query)
    return results, results.facets


class DatabaseResults:
    """Gigs in order: ``count()``/``len()``; ``[a:b]`` and iteration give Gig instances with their
    seller, category, packages, tags and images."""

    ordered = True  # for Django's paginator

    def __init__(self, query: GigQuery):
        self.query = query
        self._gigs: QuerySet[Gig] | None = None  # the matching gigs, unordered
        self._relevance = None  # what "relevance" orders by, when there are terms
        self._summary: list[dict] | None = None
        self._by_trigrams = False  # the full-text match found nothing: title trigrams answered
        self._generation = memo.generation()  # one read per search: the summary and the page agree

    def _summarize(self) -> list[dict]:
        if self._summary is None:
            key = memo.key(self._generation, "summary", self.query)
            kept = memo.get(key)
            if kept is not None:
                self._summary, self._by_trigrams = kept
                return self._summary
            self._match()
            self._summary = _summary_of(self._gigs)
            if self.query.terms and not self._summary and connection.vendor == "postgresql":
                self._by_trigrams = True
                self._match()
                self._summary = _summary_of(self._gigs)
            memo.put(key, (self._summary, self._by_trigrams))
        return self._summary

    def _match(self) -> None:
        gigs = _filtered(self.query)
        match = _trigram_matching if self._by_trigrams else _matching
        self._gigs, self._relevance = match(gigs, self.query)

    def count(self) -> int:
        return sum(row["count"] for row in self._summarize())

    def __len__(self) -> int:
        return self.count()

    def facets(self) -> Facets:
        return _facets(self._summarize())

    def __getitem__(self, key):
        if isinstance(key, int):
            page = self[key:key + 1]
            if not page:
                raise IndexError(key)
            return page[0]
        if key.step is not None or (key.start or 0) < 0 or (key.stop is not None and key.stop < 0):
            raise ValueError("Only forward slices of results.")
        self._summarize()
        if not self._summary or (key.stop is not None and key.stop <= (key.start or 0)):
            return []
        # The page's ids first, from the columns of the filters and the order alone, so that a
        # browse is answered index-only (migration 0004); then just those gigs in full, by primary
        # key, instead of every matching gig joined to its seller and category before the sort.
        ids_key = memo.key(self._generation, "page", self.query, key.start, key.stop)
        page_ids = memo.get(ids_key)
        if page_ids is None:
            if self._gigs is None:
                self._match()
            by = ORDER_BY[self.query.ordering]
            relevance = {"relevance": self._relevance} if self._relevance is not None else {}
            page_ids = list(self._gigs.annotate(**relevance).order_by(*by).values_list("pk", flat=True)[key])
            memo.put(ids_key, page_ids)
        if not page_ids:
            return []
        position = {pk: index for index, pk in enumerate(page_ids)}
        page = Gig.objects.filter(pk__in=page_ids).select_related("seller", "category").prefetch_related(
            "packages", "tags", "images")
        return sorted(page, key=lambda gig: position[gig.pk])

    def __iter__(self):
        return iter(self[0:])


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


def _matching(gigs: QuerySet[Gig], query: GigQuery):
    """The gigs matching the terms, and the relevance expression (None without terms)."""
    if not query.terms:
        return gigs, None
    if connection.vendor == "postgresql":
        from django.contrib.postgres.search import SearchQuery, SearchRank

        tsquery = SearchQuery(" & ".join(f"{term}:*" for term in query.terms), search_type="raw", config="english")
        return gigs.filter(search_vector=tsquery), SearchRank(F("search_vector"), tsquery, cover_density=True)
    condition = Q()
    relevance = Value(0)
    for term in query.terms:
        condition &= Q(title__icontains=term) | Q(tags_text__icontains=term) | Q(description__icontains=term)
        relevance = relevance + Case(When(title__icontains=term, then=Value(4)), default=Value(0),
                                     output_field=IntegerField()) \
            + Case(When(tags_text__icontains=term, then=Value(2)), default=Value(0), output_field=IntegerField())
    return gigs.filter(condition), relevance


def _trigram_matching(gigs: QuerySet[Gig], query: GigQuery):
    """PostgreSQL, when the full-text match found nothing: title trigrams, a typo per word forgiven."""
    from django.contrib.postgres.search import TrigramWordSimilarity

    phrase = " ".join(query.terms)
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('pg_trgm.word_similarity_threshold', %s, false)", [str(TRIGRAM_THRESHOLD)])
    return gigs.filter(title__trigram_word_similar=phrase), TrigramWordSimilarity(phrase, "title")


def _summary_of(gigs: QuerySet[Gig]) -> list[dict]:
    """Per category of the matching gigs: its slug and name, its count, and its count per price band.
    One statement over the gigs, grouped by the category id alone (the total count is the sum: every
    gig has a category), then the few categories' names: grouping by slug and name as well hashes two
    strings per gig, more than the names query costs (docs/performance.md, Gig search)."""
    bands = {}
    for index, (low, high) in enumerate(rules.PRICE_BANDS):
        condition = Q(price_from__gte=low) & (Q(price_from__lt=high) if high is not None else Q())
        bands[f"band{index}"] = Count("pk", filter=condition)
    rows = list(gigs.order_by().values("category_id").annotate(count=Count("pk"), **bands))
    if rows:
        names = {pk: (slug, name) for pk, slug, name in Category.objects.filter(
            pk__in=[row["category_id"] for row in rows]).order_by().values_list("pk", "slug", "name")}
        for row in rows:
            row["slug"], row["name"] = names[row["category_id"]]
    return rows


def facets_of(gigs: QuerySet[Gig]) -> Facets:
    return _facets(_summary_of(gigs))


def _facets(summary: list[dict]) -> Facets:
    categories = sorted(({"slug": row["slug"], "name": row["name"], "count": row["count"]}
                         for row in summary), key=lambda row: (-row["count"], row["slug"]))
    price_bands = [{"min": f"{low:.2f}", "max": None if high is None else f"{high:.2f}",
                    "count": sum(row[f"band{index}"] for row in summary)}
                   for index, (low, high) in enumerate(rules.PRICE_BANDS)]
    return Facets(categories=categories, price_bands=price_bands)
