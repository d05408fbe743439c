"""Gig search: the database's full-text search by default, Elasticsearch when it is configured.

``search(query)`` answers a GigQuery with sliceable, countable results (gigs in order) and their
facets; ``gigs_changed(ids)`` tells the engine which gigs to look at again once the change commits.
"""

from __future__ import annotations

from django.conf import settings

from .query import ORDERINGS, Facets, GigQuery

__all__ = ["GigQuery", "Facets", "ORDERINGS", "search", "gigs_changed", "uses_elasticsearch"]


def uses_elasticsearch() -> bool:
    return bool(getattr(settings, "MARKETPLACE_ELASTICSEARCH_URL", ""))


def search(query: GigQuery):
    if uses_elasticsearch():
        from . import elastic

        return elastic.search(query)
    from . import database

    return database.search(query)


def gigs_changed(gig_ids) -> None:
    from . import memo

    memo.forget_all()
    if uses_elasticsearch():
        from . import elastic

        elastic.reindex_on_commit(list(gig_ids))
