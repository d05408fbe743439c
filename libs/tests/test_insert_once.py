"""insert_once: one statement that inserts or skips, says which, and never raises on a concurrent twin
(PostgreSQL and SQLite, the embedded default, alike)."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, transaction

from marketplace_libs.idempotency.models import IdempotentRequest
from marketplace_libs.insert_once import insert_once

KEY = ("owner", "scope", "key")


def request(key="k1", fingerprint="f", **fields):
    return IdempotentRequest(owner="u1", scope="POST /x", key=key, fingerprint=fingerprint, status_code=0, **fields)


@pytest.mark.django_db
def test_the_first_insert_makes_the_row_and_the_second_leaves_it_alone():
    first = request(response={"amount": "10.00"})
    assert insert_once(first, unique_fields=KEY) is True
    assert first.pk is not None and not first._state.adding
    second = request(response={"amount": "99.00"}, fingerprint="other")
    assert insert_once(second, unique_fields=KEY) is False
    assert second.pk is None
    [row] = IdempotentRequest.objects.all()
    assert (row.pk, row.response, row.fingerprint) == (first.pk, {"amount": "10.00"}, "f")
    assert row.created_at == first.created_at  # the field's default was written, not the database's clock


@pytest.mark.django_db
def test_another_key_is_another_row_and_a_conflict_keeps_the_transaction_usable():
    with transaction.atomic():
        assert insert_once(request(), unique_fields=KEY)
        assert not insert_once(request(), unique_fields=KEY)
        assert insert_once(request(key="k2"), unique_fields=KEY)
        assert IdempotentRequest.objects.count() == 2  # no aborted transaction after the skipped insert


@pytest.mark.needs_postgresql  # SQLite runs one writer at a time: no race to lose
@pytest.mark.django_db(transaction=True)
def test_inserts_and_deletes_of_one_key_at_once_never_raise_and_each_insert_is_told_truly():
    """The race get_or_create loses: a twin's row deleted between its conflict and its second look."""
    outcomes = []

    def insert():
        try:
            with transaction.atomic():
                outcomes.append(("insert", insert_once(request(), unique_fields=KEY)))
        finally:
            connection.close()

    def delete():
        try:
            with transaction.atomic():
                deleted, _ = IdempotentRequest.objects.filter(key="k1").delete()
                outcomes.append(("delete", bool(deleted)))
        finally:
            connection.close()

    for _ in range(5):
        with ThreadPoolExecutor(max_workers=12) as pool:
            for future in [pool.submit(call) for call in [insert, delete] * 6]:
                future.result()
    inserted = sum(1 for kind, done in outcomes if kind == "insert" and done)
    deleted = sum(1 for kind, done in outcomes if kind == "delete" and done)
    assert len(outcomes) == 60
    assert inserted - deleted == IdempotentRequest.objects.count()
