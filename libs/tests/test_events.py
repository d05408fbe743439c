"""Publishing to the outbox, and the catalogue of event schemas."""

import json
import uuid
from datetime import datetime, timezone as dt_timezone

import jsonschema
import pytest
from django.db import transaction
from django.test import Client

from marketplace_libs.events import catalogue
from marketplace_libs.events.models import OutboxEvent
from marketplace_libs.events.publishing import publish
from marketplace_libs.request_context import request_id_var
from marketplace_libs.testing import received_event_ids, relay_on_an_in_memory_broker


def registered(**changes) -> dict:
    data = {
        "user_id": str(uuid.uuid4()),
        "email": "new.user@example.com",
        "username": "newuser",
        "date_joined": "2026-11-27T20:18:00.123456Z",
    }
    data.update(changes)
    return data


@pytest.fixture
def request_id():
    token = request_id_var.set("req-events-1")
    yield "req-events-1"
    request_id_var.reset(token)


# --- publish ------------------------------------------------------------------------------------

@pytest.mark.django_db(transaction=True)
def test_publish_outside_a_transaction_raises():
    with pytest.raises(RuntimeError, match="inside the transaction"):
        publish("user.registered", registered())
    assert not OutboxEvent.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_publish_inside_a_transaction_writes_the_envelope(request_id):
    data = registered()
    with transaction.atomic():
        event = publish("user.registered", data, aggregate_id=data["user_id"])

    stored = OutboxEvent.objects.get()
    assert stored.pk == event.pk
    assert stored.published_at is None and stored.attempts == 0
    assert stored.aggregate_id == data["user_id"]
    envelope = stored.envelope()
    assert set(envelope) == {"id", "type", "version", "occurred_at", "producer", "correlation_id", "data"}
    assert envelope == event.envelope()
    uuid.UUID(envelope["id"])  # the event's public id, which consumers deduplicate on
    assert envelope["type"] == "user.registered"
    assert envelope["version"] == 1
    assert envelope["producer"] == "libstest"
    assert envelope["correlation_id"] == request_id
    assert envelope["data"] == data
    assert envelope["occurred_at"].endswith("Z")
    occurred = datetime.fromisoformat(envelope["occurred_at"])
    assert abs((datetime.now(dt_timezone.utc) - occurred).total_seconds()) < 60
    json.dumps(envelope)  # the envelope is what goes on the wire


@pytest.mark.django_db(transaction=True)
def test_no_request_means_no_correlation_id():
    with transaction.atomic():
        publish("user.registered", registered())
    assert OutboxEvent.objects.get().correlation_id == ""


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_change_leaves_no_event():
    with pytest.raises(ZeroDivisionError):
        with transaction.atomic():
            publish("user.registered", registered())
            1 / 0
    assert not OutboxEvent.objects.exists()


@pytest.mark.django_db
def test_an_event_published_by_a_request_carries_its_request_id():
    response = Client().post("/api/libstest/register-someone", HTTP_X_REQUEST_ID="signup-req-9")
    assert response.status_code == 201
    event = OutboxEvent.objects.get(pk=response.json()["pk"])
    assert event.envelope()["id"] == response.json()["id"]
    assert event.correlation_id == "signup-req-9"
    assert event.producer == "libstest"


@pytest.mark.django_db
@pytest.mark.parametrize("data, problem", [
    ({k: v for k, v in registered().items() if k != "email"}, "email"),
    (registered(extra="field"), "extra"),
    (registered(username=""), "non-empty"),
    (registered(username="x" * 31), "too long"),
    (registered(user_id=123), "not of type 'string'"),
    (registered(user_id="not-a-uuid"), "uuid"),
    (registered(date_joined="yesterday"), "date-time"),
    (registered(date_joined="2026-11-27T20:18:00"), "date-time"),
])
def test_invalid_data_is_refused(data, problem):
    with transaction.atomic():
        with pytest.raises(catalogue.InvalidEvent) as caught:
            publish("user.registered", data)
    assert "user.registered v1" in str(caught.value)
    assert problem in str(caught.value)
    assert not OutboxEvent.objects.exists()


@pytest.mark.django_db
def test_a_service_may_not_publish_another_services_type(settings):
    settings.MARKETPLACE_EVENTS_STAND_IN = False
    settings.MARKETPLACE_SERVICE = "gigs"
    with transaction.atomic():
        refused = "gigs may not publish user.registered v1: its producer is auth"
        with pytest.raises(catalogue.NotTheProducer, match=refused):
            publish("user.registered", registered())
    assert not OutboxEvent.objects.exists()


@pytest.mark.django_db
def test_the_producer_publishes_its_own_type(settings):
    settings.MARKETPLACE_EVENTS_STAND_IN = False
    settings.MARKETPLACE_SERVICE = "auth"
    with transaction.atomic():
        publish("user.registered", registered())
    assert OutboxEvent.objects.get().producer == "auth"


@pytest.mark.django_db
def test_unknown_event_type_is_refused():
    with transaction.atomic():
        with pytest.raises(catalogue.UnknownEventType):
            publish("user.teleported", {"user_id": str(uuid.uuid4())})
        with pytest.raises(catalogue.UnknownEventType):
            publish("user.registered", registered(), version=99)
    assert not OutboxEvent.objects.exists()


@pytest.mark.django_db
def test_events_are_kept_in_order_of_occurrence():
    with transaction.atomic():
        first = publish("user.registered", registered())
        second = publish("user.registered", registered())
    assert list(OutboxEvent.objects.all()) == [first, second]
    assert first.envelope()["id"] != second.envelope()["id"]
    assert str(first).startswith("user.registered ")


# --- the catalogue ------------------------------------------------------------------------------

SCHEMA_FILES = sorted(catalogue.SCHEMA_DIR.glob("*.json"))


def test_the_catalogue_is_not_empty():
    assert ("user.registered", 1) in catalogue.known_event_types()
    assert ("auth.password_reset_requested", 1) in catalogue.known_event_types()
    assert len(catalogue.known_event_types()) == len(SCHEMA_FILES)


@pytest.mark.parametrize("path", SCHEMA_FILES, ids=lambda path: path.name)
def test_every_schema_is_valid_json_schema(path):
    schema = json.loads(path.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    name, _, version = path.name.removesuffix(".json").rpartition(".v")
    assert schema["title"] == name
    assert int(version) >= 1
    assert schema["type"] == "object"
    assert schema.get("additionalProperties") is False
    assert set(schema["required"]) <= set(schema["properties"])
    assert schema.get("description")


def test_password_reset_event_validates():
    catalogue.validate("auth.password_reset_requested", {
        "user_id": str(uuid.uuid4()), "email": "a@example.com", "username": "abc",
        "reset_url": "http://127.0.0.1:8080/reset-password?token=abc:def",
        "expires_at": "2026-11-27T21:18:00Z",
    })
    with pytest.raises(catalogue.InvalidEvent):
        catalogue.validate("auth.password_reset_requested", {
            "user_id": str(uuid.uuid4()), "email": "a@example.com", "username": "abc",
            "reset_url": "short", "expires_at": "2026-11-27T21:18:00Z",
        })


# The embedded SQLite settings keep no connection between requests: nothing to look after there.
@pytest.mark.needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_connection_upkeep_health_checks_the_connection_at_most_once_per_interval():
    from django.db import connection

    from marketplace_libs.events.connections import ConnectionUpkeep

    if not connection.settings_dict["CONN_HEALTH_CHECKS"] or not connection.settings_dict["CONN_MAX_AGE"]:
        pytest.fail("the services' settings keep connections and health-check them; this test relies on both")
    upkeep = ConnectionUpkeep(interval=3600)
    connection.ensure_connection()
    upkeep()  # the first call looks after the connection: its next use runs the health check
    assert connection.health_check_done is False
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    assert connection.health_check_done is True
    upkeep()  # within the interval: no second health check is asked for
    assert connection.health_check_done is True
    ConnectionUpkeep(interval=0)()
    assert connection.health_check_done is False


# --- the relay ----------------------------------------------------------------------------------

@pytest.mark.django_db(transaction=True)
def test_the_relay_marks_a_batch_published_with_the_next_batchs_statement():
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    OutboxEvent.objects.all().delete()
    for _ in range(3):
        with transaction.atomic():
            publish("user.registered", registered())
    ids = [str(event_id) for event_id in OutboxEvent.objects.order_by("id").values_list("event_id", flat=True)]
    relay, received = relay_on_an_in_memory_broker(batch_size=2)

    assert relay.relay_batch() == 2
    # Sent and confirmed, not yet marked: a crash here sends them again, and inboxes absorb that.
    assert OutboxEvent.objects.filter(published_at__isnull=True).count() == 3
    with CaptureQueriesContext(connection) as statements:
        assert relay.relay_batch() == 1
    # On PostgreSQL the UPDATE rides on the next batch's SELECT: one round trip per batch.
    assert len(statements) == (1 if connection.vendor == "postgresql" else 2)
    assert list(OutboxEvent.objects.filter(published_at__isnull=True).values_list("event_id", flat=True)) \
        == [uuid.UUID(ids[2])]
    relay.mark_confirmed()  # what the relay does when no commit follows within MARK_LINGER_SECONDS
    assert not OutboxEvent.objects.filter(published_at__isnull=True).exists()
    with CaptureQueriesContext(connection) as statements:
        relay.mark_confirmed()  # nothing left to mark
    assert len(statements) == 0
    assert relay.relay_batch() == 0
    assert received_event_ids(received) == ids  # each once, in order


@pytest.mark.django_db(transaction=True)
def test_rows_the_relay_could_not_mark_are_marked_by_its_next_batch(monkeypatch):
    from django.db import DatabaseError

    from marketplace_libs.events import relay as relay_module

    OutboxEvent.objects.all().delete()
    with transaction.atomic():
        publish("user.registered", registered())
    relay, received = relay_on_an_in_memory_broker(batch_size=10)
    assert relay.relay_batch() == 1

    def database_gone(*args, **kwargs):
        raise DatabaseError("the database went away")

    with monkeypatch.context() as patched:
        patched.setattr(relay_module, "pending_events", database_gone)
        with pytest.raises(DatabaseError):
            relay.relay_batch()
    assert OutboxEvent.objects.filter(published_at__isnull=True).count() == 1
    assert relay.relay_batch() == 0  # the database is back: the confirmed row is marked, not sent again
    assert not OutboxEvent.objects.filter(published_at__isnull=True).exists()
    assert len(received_event_ids(received)) == 1
