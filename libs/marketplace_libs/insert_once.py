"""Insert a row unless one with the same unique key is there, and say whether this call made it.

``get_or_create`` looks, then inserts, then on a conflict looks again: a row that a concurrent call
inserts and another deletes in between makes it raise ``IntegrityError``, and the two looks plus the
savepoint cost more than the insert itself. ``bulk_create(ignore_conflicts=True)`` cannot say whether
it inserted. ``INSERT … ON CONFLICT (key) DO NOTHING RETURNING pk`` does both in one statement: on
PostgreSQL it waits for a concurrent insert or delete of the same key to end and then inserts or
skips. SQLite (3.35 and later, the embedded default) runs the same statement.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connections, models, router


def insert_once(instance: models.Model, *, unique_fields: Sequence[str], using: str | None = None) -> bool:
    """Insert ``instance`` unless a row with the same ``unique_fields`` exists; True if it was inserted.

    ``unique_fields`` must be those of a unique constraint or index without a condition (PostgreSQL
    infers the arbiter from them). On insert the instance gets its primary key, as ``save()`` would.
    """
    model = type(instance)
    using = using or router.db_for_write(model, instance=instance)
    connection = connections[using]
    meta = model._meta
    pk = meta.pk
    fields = [field for field in meta.concrete_fields
              if not (field is pk and field.db_returning and getattr(instance, field.attname) is None)]
    values = [field.get_db_prep_save(field.pre_save(instance, True), connection) for field in fields]
    quote = connection.ops.quote_name
    target = ", ".join(quote(meta.get_field(name).column) for name in unique_fields)
    sql = (f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(field.column) for field in fields)}) "
           f"VALUES ({', '.join(['%s'] * len(fields))}) ON CONFLICT ({target}) DO NOTHING "
           f"RETURNING {quote(pk.column)}")
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        row = cursor.fetchone()
    if row is None:
        return False
    setattr(instance, pk.attname, row[0])
    instance._state.adding = False
    instance._state.db = using
    return True
