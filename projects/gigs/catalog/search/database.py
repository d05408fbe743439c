"""Search in the service's own database: PostgreSQL full-text search, or a plain match on SQLite.

PostgreSQL: a weighted ``tsvector`` (title A, tags B, description C) kept on the gig and indexed
with GIN; every word must match, as a whole word once stemmed ("logos" finds "logo", "log" does
not), and the last one also as the beginning of a longer word (``logo desi`` finds "logo design";
``editing`` finds "edited" by its stem, not "editor"); results rank by ``ts_rank`` (title words
weigh most, then tags, then the description). When no gig matches, each word missing from the
vocabulary of titles and tags is corrected to the nearest words there (``vocabulary.py``: "desgin"
finds "design") and the search runs once more.

A search costs one statement over the matching gigs, whatever their number (figures in
docs/performance.md, bench/gig_search.py, bench/search_miss_cost.py): with words to match, the
matching gigs are read once into a materialized CTE, from which come the count and both facets (per
category, per price band) and the ids of the first FIRST_IDS in order, so that any page among them
costs no second pass. A browse (no words) counts in one statement and chooses a page by ids in
another, which the partial indexes of migration 0004 answer index-only, stopping after the page.
Either way only the page's gigs are then read in full, by primary key, with their details.
"""

from __future__ import annotations

import json

from django.db import connection
from django.db.models import Case, Count, F, IntegerField, Q, QuerySet, Value, When

from .. import rules
from ..models import Category, Gig, GigStatus
from . import memo, vocabulary
from .query import Facets, GigQuery

# The last word of a search, unstemmed, as the beginning of a word: migration 0009.
PREFIX_CONFIG = "english_unstemmed"
# The ids a text search's one pass keeps in order: the largest page (marketplace_libs.pagination).
FIRST_IDS = 100

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
        self._first_ids: list | None = None  # the first FIRST_IDS ids in order, when the summary brought them
        # Per word, the words looked for instead, once the words as typed matched nothing.
        self._corrected: tuple[tuple[str, ...], ...] | None = None
        self._generation = memo.generation()  # one read per search: the summary and the page agree

    def _summarize(self) -> list[dict]:
        if self._summary is None:
            key = memo.key(self._generation, "summary and first ids", self.query)
            kept = memo.get(key)
            if kept is not None:
                self._summary, self._first_ids, self._corrected = kept
                return self._summary
            self._summary, self._first_ids = self._summary_and_first_ids()
            if self.query.terms and not self._summary and connection.vendor == "postgresql":
                self._corrected = vocabulary.corrections(self.query.terms)
                if self._corrected is not None:
                    self._summary, self._first_ids = self._summary_and_first_ids()
            memo.put(key, (self._summary, self._first_ids, self._corrected))
        return self._summary

    def _summary_and_first_ids(self) -> tuple[list[dict], list | None]:
        self._match()
        if self._relevance is not None and connection.vendor == "postgresql":
            return _summary_and_first_ids(self._gigs, self._relevance, self.query.ordering)
        return _summary_of(self._gigs), None

    def _match(self) -> None:
        self._gigs, self._relevance = _matching(_filtered(self.query), self.query, self._corrected)

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
        first = self._first_ids
        if first is not None and (len(first) < FIRST_IDS or (key.stop is not None and key.stop <= len(first))):
            page_ids = first[key]  # every matching gig, or the page, is among the first ids
        else:
            page_ids = self._page_ids(key)
        if not page_ids:
            return []
        position = {pk: index for index, pk in enumerate(page_ids)}
        page = Gig.objects.filter(pk__in=page_ids).select_related("seller", "category").prefetch_related(
            "packages", "tags", "images")
        return sorted(page, key=lambda gig: position[gig.pk])

    def _page_ids(self, key: slice) -> list:
        ids_key = memo.key(self._generation, "page", self.query, key.start, key.stop)
        page_ids = memo.get(ids_key)
        if page_ids is None:
            if self._gigs is None:
                self._match()
            by = ORDER_BY[self.query.ordering]
            relevance = {"relevance": self._relevance} if self._relevance is not None else {}
            page_ids = list(self._gigs.annotate(**relevance).order_by(*by).values_list("pk", flat=True)[key])
            memo.put(ids_key, page_ids)
        return page_ids

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


def _matching(gigs: QuerySet[Gig], query: GigQuery, corrected=None):
    """The gigs matching the terms (or their corrections), and the relevance expression (None
    without terms)."""
    if not query.terms:
        return gigs, None
    if connection.vendor == "postgresql":
        from django.contrib.postgres.search import SearchRank

        tsquery = _text_query(query.terms) if corrected is None else _corrected_query(query.terms, corrected)
        return gigs.filter(search_vector=tsquery), SearchRank(F("search_vector"), tsquery)
    condition = Q()
    relevance = Value(0)
    for term in query.terms:
        condition &= Q(title__icontains=term) | Q(tags_text__icontains=term) | Q(description__icontains=term)
        relevance = relevance + Case(When(title__icontains=term, then=Value(4)), default=Value(0),
                                     output_field=IntegerField()) \
            + Case(When(tags_text__icontains=term, then=Value(2)), default=Value(0), output_field=IntegerField())
    return gigs.filter(condition), relevance


def _text_query(terms: tuple[str, ...]):
    """``'logo' & ( 'design' | 'design':* )``: the words before the last are complete (stemmed, as
    the index holds them); the last may be half typed, so it also matches as the beginning of a
    word, as typed (unstemmed: the stem of "editing", "edit", begins many more words than it does).
    A prefix costs the GIN index a bitmap of every gig with a word that begins with it, before any
    other word narrows it (docs/performance.md, issue 24): one such term, not one per word."""
    from django.contrib.postgres.search import SearchQuery

    *complete, last = terms
    typed = (SearchQuery(last, search_type="raw", config="english")
             | SearchQuery(f"{last}:*", search_type="raw", config=PREFIX_CONFIG))
    if not complete:
        return typed
    return SearchQuery(" & ".join(complete), search_type="raw", config="english") & typed


def _corrected_query(terms: tuple[str, ...], corrected: tuple[tuple[str, ...], ...]):
    """``'logo' & ( 'design' | 'designs' )``: every word, or one of the words it was corrected to;
    the last one, when left as typed, also as the beginning of a word, as in ``_text_query``."""
    from django.contrib.postgres.search import SearchQuery

    query = None
    for position, (term, words) in enumerate(zip(terms, corrected), start=1):
        either = SearchQuery(" | ".join(words), search_type="raw", config="english")
        if position == len(terms) and words == (term,):
            either |= SearchQuery(f"{term}:*", search_type="raw", config=PREFIX_CONFIG)
        query = either if query is None else query & either
    return query


def _summary_of(gigs: QuerySet[Gig]) -> list[dict]:
    """Per category of the matching gigs: its slug and name, its count, and its count per price band.
    One statement over the gigs, grouped by the category id alone (the total count is the sum: every
    gig has a category), then the few categories' names: grouping by slug and name as well hashes two
    strings per gig, more than the names query costs (docs/performance.md, Gig search)."""
    bands = {}
    for index, (low, high) in enumerate(rules.PRICE_BANDS):
        condition = Q(price_from__gte=low) & (Q(price_from__lt=high) if high is not None else Q())
        bands[f"band{index}"] = Count("pk", filter=condition)
    return _named(list(gigs.order_by().values("category_id").annotate(count=Count("pk"), **bands)))


def _summary_and_first_ids(gigs: QuerySet[Gig], relevance, ordering: str) -> tuple[list[dict], list]:
    """The summary of ``_summary_of`` and the ids of the first FIRST_IDS gigs in ``ordering``, from one
    pass over the matching gigs: a text search finds them with a bitmap of the GIN index, then reads
    each one's row (its price and category, its rank); two statements did both twice."""
    keys = [_sort_key(item) for item in ORDER_BY[ordering]]
    columns = list(dict.fromkeys(["id", "category_id", "price_from", *(name for name, _, _ in keys)]))
    matching = gigs.order_by()
    if "relevance" in columns:
        matching = matching.annotate(relevance=relevance)
    inner, params = matching.values(*columns).query.sql_with_params()
    bands, band_params = [], []
    for index, (low, high) in enumerate(rules.PRICE_BANDS):
        bands.append(f"COUNT(*) FILTER (WHERE price_from >= %s{' AND price_from < %s' if high is not None else ''})"
                     f" AS band{index}")
        band_params += [low] if high is None else [low, high]
    order = ", ".join(f'"{name}"{" DESC" if descending else ""}{" NULLS LAST" if nulls_last else ""}'
                      for name, descending, nulls_last in keys)
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH matching AS MATERIALIZED ({inner}) "
            f"SELECT (SELECT json_agg(per_category)::text FROM (SELECT category_id, COUNT(*) AS count, "
            f"{', '.join(bands)} FROM matching GROUP BY category_id) AS per_category), "
            f"ARRAY(SELECT id FROM matching ORDER BY {order} LIMIT %s)",
            [*params, *band_params, FIRST_IDS])
        summary, first_ids = cursor.fetchone()
    return _named(json.loads(summary) if summary else []), first_ids


def _sort_key(item) -> tuple[str, bool, bool]:
    """An entry of ORDER_BY as (column, descending, nulls last)."""
    if isinstance(item, str):
        return item.lstrip("-"), item.startswith("-"), False
    return item.expression.name, item.descending, bool(item.nulls_last)


def _named(rows: list[dict]) -> list[dict]:
    """The summary's rows with each category's slug and name."""
    if rows:
        names = {pk: (slug, name) for pk, slug, name in Category.objects.filter(
            pk__in=[row["category_id"] for row in rows]).order_by().values_list("pk", "slug", "name")}
        for row in rows:
            row["slug"], row["name"] = names[row["category_id"]]
    return rows


def _facets(summary: list[dict]) -> Facets:
    categories = sorted(({"slug": row["slug"], "name": row["name"], "count": row["count"]}
                         for row in summary), key=lambda row: (-row["count"], row["slug"]))
    price_bands = [{"min": f"{low:.2f}", "max": None if high is None else f"{high:.2f}",
                    "count": sum(row[f"band{index}"] for row in summary)}
                   for index, (low, high) in enumerate(rules.PRICE_BANDS)]
    return Facets(categories=categories, price_bands=price_bands)
