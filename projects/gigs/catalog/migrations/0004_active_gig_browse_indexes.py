"""Partial indexes over the gigs search can show (active, not deleted), on PostgreSQL only.

Measured with bench/gig_search.py on 100,000 gigs (docs/performance.md, "Gig search"):

- ``gig_active_category_price_idx`` (category, price, id): a leaf category's page by price is read in
  index order, and the count and facets of any category (a top-level one is ~12,000 gigs) come from
  an index-only scan instead of a bitmap heap scan of every row (18 ms -> ~2.5 ms each).
- ``gig_active_price_idx`` (price, id, including the category): the ids of a top-level category's
  page by price, index-only, stopping after the page (33 ms for the page -> ~0.7 ms for its ids).

Built CONCURRENTLY (hence not atomic): a live gig table keeps taking writes meanwhile.
"""

from django.db import migrations

ACTIVE = "status = 'active' AND deleted_at IS NULL"
FORWARD = [
    "CREATE INDEX CONCURRENTLY IF NOT EXISTS gig_active_category_price_idx "
    f"ON catalog_gig (category_id, price_from, id) WHERE {ACTIVE}",
    "CREATE INDEX CONCURRENTLY IF NOT EXISTS gig_active_price_idx "
    f"ON catalog_gig (price_from, id) INCLUDE (category_id) WHERE {ACTIVE}",
]
BACKWARD = [
    "DROP INDEX CONCURRENTLY IF EXISTS gig_active_price_idx",
    "DROP INDEX CONCURRENTLY IF EXISTS gig_active_category_price_idx",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for statement in statements:
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("catalog", "0003_category_taxonomy")]

    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD))]
