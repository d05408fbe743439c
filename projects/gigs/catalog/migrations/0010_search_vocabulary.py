"""The typo correction's vocabulary (catalog/search/vocabulary.py): a table of words, on PostgreSQL a
GiST trigram index for the nearest words (``<->``), filled from the active gigs' titles and tags.

The backfill spells out the vocabulary's statement as it is today, so that this migration does not
change when the service's code does.
"""

from django.db import migrations, models

FORWARD = [
    "CREATE INDEX IF NOT EXISTS search_word_trgm_gist ON catalog_searchword USING gist (word gist_trgm_ops)",
    "INSERT INTO catalog_searchword (word) SELECT DISTINCT word FROM catalog_gig, "
    "unnest(tsvector_to_array(to_tsvector('english_unstemmed', title || ' ' || tags_text))) AS word "
    "WHERE status = 'active' AND deleted_at IS NULL AND word ~ '^[[:alnum:]]+$' AND length(word) BETWEEN 2 AND 100",
]
BACKWARD = [
    "DROP INDEX IF EXISTS search_word_trgm_gist",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for statement in statements:
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("catalog", "0009_english_unstemmed_text_search")]

    operations = [
        migrations.CreateModel(
            name="SearchWord",
            fields=[("word", models.CharField(max_length=100, primary_key=True, serialize=False))],
        ),
        migrations.RunPython(_run(FORWARD), _run(BACKWARD)),
    ]
