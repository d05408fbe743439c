"""The PostgreSQL backend checks a connection's health only when it has not just answered a request."""

import psycopg
import pytest
from django.db import connection, connections

from marketplace_libs.postgresql import base

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.needs_postgresql]


@pytest.fixture(autouse=True)
def persistent_connections(monkeypatch):
    """As the services run: connections kept for a minute, health checks on (tests' own settings differ)."""
    assert isinstance(connections["default"], base.DatabaseWrapper)
    monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", 60)
    monkeypatch.setitem(connection.settings_dict, "CONN_HEALTH_CHECKS", True)
    connection.close()
    yield
    connection.close()


@pytest.fixture
def health_checks(monkeypatch):
    """How many times the backend asked the server whether the connection still works."""
    asked = []
    real = connection.is_usable

    def is_usable():
        asked.append(1)
        return real()

    monkeypatch.setattr(connection, "is_usable", is_usable)
    return asked


def a_request(statement="SELECT 1"):
    """What Django does around a request: close_old_connections before and after, a statement between."""
    connection.close_if_unusable_or_obsolete()
    with connection.cursor() as cursor:
        cursor.execute(statement)
    connection.close_if_unusable_or_obsolete()


def test_a_connection_that_just_answered_is_not_checked_again(health_checks):
    a_request()
    asked = len(health_checks)
    for _ in range(5):
        a_request()
    assert len(health_checks) == asked


def test_an_idle_connection_is_checked(health_checks, monkeypatch):
    a_request()
    monkeypatch.setattr(base, "HEALTH_CHECK_INTERVAL", 0.0)
    asked = len(health_checks)
    a_request()
    assert len(health_checks) == asked + 1


def test_a_connection_the_server_dropped_while_idle_is_replaced(monkeypatch):
    a_request()
    monkeypatch.setattr(base, "HEALTH_CHECK_INTERVAL", 0.0)
    old_pid = connection.connection.info.backend_pid
    settings = connection.settings_dict
    with psycopg.connect(host=settings["HOST"], port=settings["PORT"], user=settings["USER"],
                         dbname=settings["NAME"], autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [old_pid])

    a_request()  # no error: the check found the connection gone and a new one answered

    assert connection.connection.info.backend_pid != old_pid


def test_after_an_error_the_connection_is_checked(health_checks):
    a_request()
    asked = len(health_checks)
    connection.close_if_unusable_or_obsolete()
    with pytest.raises(Exception), connection.cursor() as cursor:
        cursor.execute("SELECT * FROM no_such_table")
    connection.close_if_unusable_or_obsolete()  # the request's end: an error occurred, so it is checked
    assert len(health_checks) > asked


def test_the_server_binds_the_parameters():
    with connection.cursor() as cursor:
        # A psycopg cursor that sends parameters beside the statement, not one quoting them into it.
        assert isinstance(cursor.cursor, psycopg.Cursor)
        assert not isinstance(cursor.cursor, psycopg.ClientCursor)
        cursor.execute("SELECT %s::integer + 1, %s", [41, "it's"])
        assert cursor.fetchone() == (42, "it's")
