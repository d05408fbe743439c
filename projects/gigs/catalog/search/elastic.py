"""Search in Elasticsearch (when MARKETPLACE_ELASTICSEARCH_URL is set): the same answers as ``database``.

Matching: every term of ``q`` must match somewhere in title (×3), tags (×2) or description as a
word with up to AUTO edits (a typo per short word, two per long one); the last term may also be the
beginning of a word, as typed (``shopi`` finds "Shopify"; ``editing`` does not find "editor"), as
in the database; a phrase match on the title weighs in on top, so an exact title ranks first. The filters are Elasticsearch filters, the facets aggregations over the same query,
and every ordering ends on the same tie-breakers as the database's (``id`` last).

Results are lazy: counting runs one size-0 search (which also brings the facets), a slice runs one
search for the ids of that page, then reads those gigs from the database in the engine's order.
When the engine cannot be reached (or has no index yet) the search is answered by the database
backend instead, and a warning is logged.

The index holds active, non-deleted gigs only. ``reindex_on_commit(ids)`` indexes (or removes) the
gigs a transaction changed once it commits; a failure to reach the engine is logged and never
breaks the write: ``manage.py search_index --rebuild -f`` rebuilds the index from the database.
"""

from __future__ import annotations

from functools import partial

import structlog
from django.db import transaction
from elasticsearch import BadRequestError, ConnectionError, ConnectionTimeout, NotFoundError

from .. import rules
from ..documents import GigDocument, is_searchable
from ..models import Category, Gig, GigStatus
from . import database
from .query import Facets, GigQuery

log = structlog.get_logger("catalog.search")

FIELDS = ["title^3", "tags^2", "description"]
EXACT_TITLE_BOOST = 5
CATEGORY_FACET_SIZE = 1000
# Elasticsearch's default index.max_result_window: deeper pages are walked with search_after.
MAX_WINDOW = 10_000

SORTS = {
    "relevance": [{"_score": "desc"}, {"created_at": "desc"}, {"id": "asc"}],
    "-created_at": [{"created_at": "desc"}, {"id": "asc"}],
    "price": [{"price_from": "asc"}, {"id": "asc"}],
    "-price": [{"price_from": "desc"}, {"id": "asc"}],
    "-rating": [{"rating_avg": {"order": "desc", "missing": "_last"}}, {"rating_count": "desc"}, {"id": "asc"}],
    "-orders": [{"orders_count": "desc"}, {"id": "asc"}],
}


def search(query: GigQuery) -> tuple["ElasticResults", "callable"]:
    """The ordered results (sliceable, countable) and a function computing their facets."""
    results = ElasticResults(query)
    return results, results.facets


# --- the query ------------------------------------------------------------------------------------

def query_body(query: GigQuery) -> dict:
    filters: list[dict] = [{"term": {"status": GigStatus.ACTIVE.value}}]
    if query.category_ids:
        filters.append({"terms": {"category_id": list(query.category_ids)}})
    price = {}
    if query.min_price is not None:
        price["gte"] = float(query.min_price)
    if query.max_price is not None:
        price["lte"] = float(query.max_price)
    if price:
        filters.append({"range": {"price_from": price}})
    if query.delivery_days is not None:
        filters.append({"range": {"fastest_delivery_days": {"lte": query.delivery_days}}})
    if query.min_rating is not None:
        filters.append({"range": {"rating_avg": {"gte": float(query.min_rating)}}})
    if query.seller_id is not None:
        filters.append({"term": {"seller_id": str(query.seller_id)}})
    for tag in query.tags:
        filters.append({"term": {"tags.raw": tag}})
    body: dict = {"filter": filters}
    if query.terms:
        *complete, last = query.terms
        body["must"] = [*(_word_matches(term) for term in complete), _last_word_matches(last)]
        body["should"] = [{"match_phrase": {"title": {"query": " ".join(query.terms), "boost": EXACT_TITLE_BOOST}}}]
    return {"bool": body}


def _word_matches(term: str) -> dict:
    # A stop word ("the", "will") analyses to nothing: it then matches everything, as in the database.
    return {"multi_match": {"query": term, "fields": FIELDS, "type": "best_fields", "fuzziness": "AUTO",
                            "zero_terms_query": "all"}}


def _last_word_matches(term: str) -> dict:
    """The word, or the beginning of an indexed word as typed (a prefix query is not analysed)."""
    prefixes = [{"prefix": {field: {"value": term, "boost": float(boost or 1)}}}
                for field, _, boost in (name.partition("^") for name in FIELDS)]
    return {"bool": {"minimum_should_match": 1, "should": [_word_matches(term), *prefixes]}}


# --- the results ----------------------------------------------------------------------------------

class ElasticResults:
    """Gigs in the engine's order: ``count()``/``len()``, and ``[a:b]`` giving Gig instances."""

    def __init__(self, query: GigQuery):
        self.query = query
        self._summary = None
        self._fallback = None  # the database's results, when the engine could not answer

    def _search(self):
        return GigDocument.search().query(query_body(self.query)).sort(*SORTS[self.query.ordering])

    def _summarize(self):
        if self._summary is None and self._fallback is None:
            try:
                self._summary = self._count_and_aggregate()
            except (ConnectionError, ConnectionTimeout, NotFoundError) as error:
                log.warning("search_engine_unavailable", error=repr(error), answered_by="database")
                self._fallback = database.search(self.query)
        return self._summary

    def _count_and_aggregate(self):
        search = self._search().extra(size=0, track_total_hits=True)
        search.aggs.bucket("categories", "terms", field="category_id", size=CATEGORY_FACET_SIZE)
        search.aggs.bucket("price_bands", "range", field="price_from", ranges=[
            {"key": f"band{index}", "from": float(low), **({"to": float(high)} if high is not None else {})}
            for index, (low, high) in enumerate(rules.PRICE_BANDS)])
        response = search.execute()
        return response.hits.total.value, response.aggregations.to_dict()

    def count(self) -> int:
        summary = self._summarize()
        return self._fallback[0].count() if self._fallback is not None else summary[0]

    def __len__(self) -> int:
        return self.count()

    def facets(self) -> Facets:
        summary = self._summarize()
        if self._fallback is not None:
            return self._fallback[1]()
        aggregations = summary[1]
        counts = {int(bucket["key"]): bucket["doc_count"] for bucket in aggregations["categories"]["buckets"]}
        names = {category.pk: category for category in Category.objects.filter(pk__in=counts)}
        categories = sorted(({"slug": names[pk].slug, "name": names[pk].name, "count": count}
                             for pk, count in counts.items() if pk in names),
                            key=lambda row: (-row["count"], row["slug"]))
        per_band = {bucket["key"]: bucket["doc_count"] for bucket in aggregations["price_bands"]["buckets"]}
        price_bands = [{"min": f"{low:.2f}", "max": None if high is None else f"{high:.2f}",
                        "count": per_band.get(f"band{index}", 0)}
                       for index, (low, high) in enumerate(rules.PRICE_BANDS)]
        return Facets(categories=categories, price_bands=price_bands)

    def __getitem__(self, key):
        if isinstance(key, int):
            if key < 0:
                key += self.count()
            found = self[key:key + 1] if key >= 0 else []
            if not found:
                raise IndexError("gig search result index out of range")
            return found[0]
        if not isinstance(key, slice):
            raise TypeError("search results are indexed by int or slice")
        if self._summarize() is None:
            return list(self._fallback[0][key])
        start, stop, step = key.start, key.stop, key.step
        if (start is not None and start < 0) or (stop is not None and stop < 0) or stop is None:
            start, stop, step = key.indices(self.count())
        start = start or 0
        gigs = self._gigs(self._ids(start, stop)) if stop > start else []
        return gigs[::step] if step not in (None, 1) else gigs

    def __iter__(self):
        total = self.count()
        for start in range(0, total, 100):
            yield from self[start:min(start + 100, total)]

    def _ids(self, start: int, stop: int) -> list[str]:
        search = self._search().source(False)
        if stop <= MAX_WINDOW:
            return [hit.meta.id for hit in search[start:stop].execute()]
        ids, position, after = [], 0, None  # past the window: walk from the top with search_after
        while position < stop:
            size = min(MAX_WINDOW, stop - position)
            page = search.extra(size=size, track_total_hits=False)
            if after is not None:
                page = page.extra(search_after=after)
            hits = list(page.execute())
            for hit in hits:
                if position >= start:
                    ids.append(hit.meta.id)
                position += 1
            if len(hits) < size:
                break
            after = list(hits[-1].meta.sort)
        return ids

    @staticmethod
    def _gigs(ids: list[str]) -> list[Gig]:
        # The database has the last word: a gig the index still holds by mistake is left out.
        gigs = (Gig.objects.filter(pk__in=ids, status=GigStatus.ACTIVE, deleted_at__isnull=True)
                .select_related("seller", "category").prefetch_related("packages", "tags", "images"))
        by_id = {str(gig.pk): gig for gig in gigs}
        return [by_id[gig_id] for gig_id in ids if gig_id in by_id]


# --- keeping the index in step --------------------------------------------------------------------

_index_ready = False


def ensure_index() -> None:
    """Create the index (with its mapping) if it is missing: a write before the first rebuild must
    not leave the engine to guess the mapping from the first document."""
    global _index_ready
    if _index_ready:
        return
    index = GigDocument._index
    if not index.exists():
        try:
            index.create()
        except BadRequestError as error:
            if error.error != "resource_already_exists_exception":  # another process was quicker
                raise
    _index_ready = True


def reindex_on_commit(gig_ids) -> None:
    """Once the current transaction commits (at once outside one), index or remove these gigs."""
    ids = sorted({str(gig_id) for gig_id in gig_ids})
    if ids:
        transaction.on_commit(partial(reindex, ids))


def reindex(gig_ids) -> None:
    """Index the searchable gigs among ``gig_ids`` and remove the others (drafts, paused, deleted).

    Runs after the write has committed: a failure is logged, never raised (a rebuild repairs it)."""
    ids = [str(gig_id) for gig_id in gig_ids]
    try:
        ensure_index()
        document = GigDocument()
        gigs = [gig for gig in document.get_queryset().filter(pk__in=ids) if is_searchable(gig)]
        indexed = {str(gig.pk) for gig in gigs}
        actions = list(document.get_actions(gigs, "index"))
        actions += [{"_op_type": "delete", "_index": GigDocument._index._name, "_id": gig_id}
                    for gig_id in ids if gig_id not in indexed]
        _, errors = document.bulk(actions, raise_on_error=False, raise_on_exception=True)
        failures = [error for error in errors
                    if not ("delete" in error and error["delete"].get("status") == 404)]  # already gone
        if failures:
            log.warning("search_reindex_failed", gig_ids=ids, errors=failures[:5])
    except Exception as error:  # noqa: BLE001 - the write has committed; the index catches up on a rebuild
        log.warning("search_reindex_failed", gig_ids=ids, error=repr(error))
