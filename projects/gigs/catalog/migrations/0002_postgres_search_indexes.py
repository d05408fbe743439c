"""Full-text and trigram indexes, on PostgreSQL only (the embedded SQLite default has neither)."""

from django.db import migrations

FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS gig_search_vector_gin ON catalog_gig USING gin (search_vector)",
    "CREATE INDEX IF NOT EXISTS gig_title_trgm_gin ON catalog_gig USING gin (title gin_trgm_ops)",
]
BACKWARD = [
    "DROP INDEX IF EXISTS gig_title_trgm_gin",
    "DROP INDEX IF EXISTS gig_search_vector_gin",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for statement in statements:
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("catalog", "0001_initial")]

    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD))]
