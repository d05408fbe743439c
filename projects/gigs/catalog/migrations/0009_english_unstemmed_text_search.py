"""``english_unstemmed``, a text search configuration on PostgreSQL only: the words of the ``english``
configuration lower-cased, its stop words dropped, but not stemmed.

The last word of a search also matches as the beginning of a longer word (catalog/search/database.py):
``editing`` then looks for words that begin with "editing", not with its stem "edit" (which would
bring "editor", "editorial"...), and a stop word ("voice over") looks for nothing, as it does
everywhere else in the search.
"""

from django.db import migrations

FORWARD = [
    "CREATE TEXT SEARCH DICTIONARY english_unstemmed (TEMPLATE = pg_catalog.simple, STOPWORDS = english)",
    "CREATE TEXT SEARCH CONFIGURATION english_unstemmed (COPY = pg_catalog.english)",
    "ALTER TEXT SEARCH CONFIGURATION english_unstemmed ALTER MAPPING REPLACE english_stem WITH english_unstemmed",
]
BACKWARD = [
    "DROP TEXT SEARCH CONFIGURATION IF EXISTS english_unstemmed",
    "DROP TEXT SEARCH DICTIONARY IF EXISTS english_unstemmed",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for statement in statements:
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("catalog", "0008_favourites")]

    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD))]
