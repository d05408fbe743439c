"""Drop the GIN trigram index on gig titles (migration 0002): the search's typo fallback no longer
matches titles by trigrams (decisions 82), and the admin's title search (``icontains``, which
Django writes as ``UPPER(title) LIKE``) never used it. Concurrently, so that writes to the gigs
go on while it goes."""

from django.db import migrations

FORWARD = ["DROP INDEX CONCURRENTLY IF EXISTS gig_title_trgm_gin"]
BACKWARD = ["CREATE INDEX CONCURRENTLY IF NOT EXISTS gig_title_trgm_gin ON catalog_gig USING gin (title gin_trgm_ops)"]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for statement in statements:
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    atomic = False  # CONCURRENTLY cannot run inside a transaction
    dependencies = [("catalog", "0010_search_vocabulary")]

    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD))]
