"""The event contract: what services publish and subscribe to is in the catalogue, the catalogue is
sound, and docs/events.md says what the catalogue says. None of these needs the running fleet."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from django.utils import timezone

from devtools import events_docs, processes
from harness import PROBE_DIR, ROOT
from marketplace_libs.events import catalogue, registry
from marketplace_libs.events.envelope import (
    ENVELOPE_FIELDS, ENVELOPE_SCHEMA_PATH, MalformedEnvelope, validate_envelope,
)
from marketplace_libs.events.models import OutboxEvent
from marketplace_libs.topology import ALL_SERVICES, PROJECTS_DIR

SCHEMA_FILES = sorted(catalogue.SCHEMA_DIR.glob("*.json"))
SERVICE_NAMES = {spec.name for spec in ALL_SERVICES}
DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema"


def _catalogue_types() -> set[str]:
    return {event_type for event_type, _ in catalogue.known_event_types()}


# --- the catalogue itself --------------------------------------------------------------------

def test_the_catalogue_is_not_empty():
    assert SCHEMA_FILES, f"no schema in {catalogue.SCHEMA_DIR}"


@pytest.mark.parametrize("path", SCHEMA_FILES, ids=lambda path: path.name)
def test_every_schema_is_a_draft_2020_12_schema_titled_by_its_type(path: Path):
    schema = json.loads(path.read_text())
    event_type = path.name.removesuffix(".json").rpartition(".v")[0]
    assert schema.get("$schema") == DRAFT_2020_12
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema.get("title") == event_type
    assert schema.get("description"), "docs/events.md shows the description: say what happened"


@pytest.mark.parametrize("path", SCHEMA_FILES, ids=lambda path: path.name)
def test_every_schema_names_a_service_as_its_producer(path: Path):
    producer = json.loads(path.read_text()).get("x-producer")
    assert producer in SERVICE_NAMES, f"{path.name}: x-producer {producer!r} is not one of {sorted(SERVICE_NAMES)}"


@pytest.mark.parametrize("entry", catalogue.entries(), ids=lambda entry: f"{entry.event_type}.v{entry.version}")
def test_every_schema_has_examples_it_accepts(entry: catalogue.CatalogueEntry):
    assert entry.examples, f"{entry.event_type} v{entry.version} has no examples"
    for example in entry.examples:
        catalogue.validate(entry.event_type, example, entry.version)


# --- what the code publishes -----------------------------------------------------------------
# Every service publishes through one module, <app>/events.py, with one function per type. These read
# the code itself, so they see every call, and say both ways that each service publishes exactly the
# types the catalogue names it the producer of. publish() refuses another service's type at run time too.

def publish_calls() -> list[tuple[str, str, int, str | None]]:
    """(service, file, line, event type or None when not a literal) of every ``publish(...)`` call in the
    services' own code under projects/ (their tests may fake other services' events)."""
    found = []
    for path in sorted(PROJECTS_DIR.glob("*/**/*.py")):
        relative = str(path.relative_to(ROOT))
        if _is_test_module(relative):
            continue
        service = path.relative_to(PROJECTS_DIR).parts[0]
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if _is_publish_call(node):
                first = node.args[0] if node.args else None
                literal = first.value if isinstance(first, ast.Constant) and isinstance(first.value, str) else None
                found.append((service, relative, node.lineno, literal))
    return found


def _is_publish_call(node: ast.AST) -> bool:
    if not isinstance(node, ast.Call):
        return False
    function = node.func
    return (function.id if isinstance(function, ast.Name) else getattr(function, "attr", None)) == "publish"


def _is_test_module(path: str) -> bool:
    name = Path(path).name
    return name.startswith("test_") or name == "conftest.py" or "tests" in Path(path).parts


PUBLISH_CALLS = publish_calls()
PRESENT_SERVICES = sorted(path.parent.name for path in PROJECTS_DIR.glob("*/manage.py"))


def test_the_services_publish_events():
    # Guards the scanner: if it finds nothing, the tests below prove nothing.
    assert {service for service, *_ in PUBLISH_CALLS} >= {"auth", "orders"}


@pytest.mark.parametrize("call", PUBLISH_CALLS, ids=lambda call: f"{call[1]}:{call[2]}")
def test_every_publish_call_names_its_type_in_the_events_module(call):
    service, path, line, event_type = call
    assert Path(path).name == "events.py", f"{path}:{line} publishes outside its service's events.py"
    assert event_type is not None, f"{path}:{line}: the type is not a literal, so nothing can check it"


def _retired(entry: catalogue.CatalogueEntry) -> bool:
    """A type its producer no longer publishes (the schema's ``x-retired`` says why): kept in the catalogue so
    that events already queued, dead-lettered or replayed still validate and apply."""
    return bool(entry.schema.get("x-retired"))


@pytest.mark.parametrize("service", PRESENT_SERVICES)
def test_each_service_publishes_exactly_the_types_it_produces(service):
    published = {event_type for name, _, _, event_type in PUBLISH_CALLS if name == service}
    produced = {entry.event_type for entry in catalogue.entries() if entry.producer == service and not _retired(entry)}
    assert published == produced, (
        f"{service} publishes {sorted(published - produced) or 'nothing'} it does not produce, and never publishes "
        f"{sorted(produced - published) or 'nothing'} it is the producer of")


def test_a_retired_type_is_published_by_nobody():
    retired = {entry.event_type for entry in catalogue.entries() if _retired(entry)}
    assert "review.created" in retired  # guards the marker's spelling
    assert not retired & {event_type for _, _, _, event_type in PUBLISH_CALLS}


def test_every_catalogue_type_has_a_present_producer():
    orphans = {entry.event_type: entry.producer for entry in catalogue.entries()
               if entry.producer not in PRESENT_SERVICES}
    assert not orphans, f"types whose producer is not a service here: {orphans}"


# --- what the services subscribe to ----------------------------------------------------------

@pytest.fixture(scope="module")
def service_subscriptions() -> dict[str, list[str]]:
    """Each present service's subscriptions, asked of the service itself with the test environment."""
    env = dict(os.environ)
    # This process is the probe service; the services must start with their own settings.
    for name in ("DJANGO_SETTINGS_MODULE", "PROBE_SERVICE"):
        env.pop(name, None)
    return processes.event_subscriptions(env)


def test_every_present_service_reports_its_subscriptions(service_subscriptions):
    present = {path.parent.name for path in PROJECTS_DIR.glob("*/manage.py")}
    assert set(service_subscriptions) == present


def test_every_subscription_of_every_service_is_in_the_catalogue(service_subscriptions):
    unknown = {service: sorted(set(types) - _catalogue_types())
               for service, types in service_subscriptions.items() if set(types) - _catalogue_types()}
    assert not unknown, f"subscriptions to types without a schema: {unknown}"


def test_the_probe_service_subscriptions_are_in_the_catalogue():
    # This test process is the probe producer, which subscribes to nothing: ask a consumer copy.
    result = subprocess.run([sys.executable, "manage.py", "events_info"], cwd=PROBE_DIR, check=True,
                            capture_output=True, text=True,
                            env={**os.environ, "PROBE_SERVICE": "probe_a", "PROBE_SUBSCRIBES": "1"})
    subscriptions = json.loads(result.stdout.strip().splitlines()[-1])["subscriptions"]
    assert subscriptions, "the probe service's handlers were not registered"
    assert set(subscriptions) <= _catalogue_types()
    assert registry.subscriptions() == []  # and the producer copy binds no queue


# --- docs/events.md ----------------------------------------------------------------------------

def test_docs_events_md_says_what_the_catalogue_and_the_services_say(service_subscriptions):
    expected = events_docs.render(service_subscriptions)
    current = events_docs.DOC_PATH.read_text() if events_docs.DOC_PATH.exists() else ""
    assert current == expected, "docs/events.md is out of date: run `manage_all.py events docs`"


def test_docs_events_md_names_every_type_its_producer_and_its_subscribers():
    page = events_docs.render({"notifications": ["user.registered"]})
    for entry in catalogue.entries():
        assert f"### {entry.event_type} v{entry.version}" in page
        assert f"- Producer: {entry.producer}" in page
    assert "- Subscribers: notifications" in page
    assert f"- Subscribers: {events_docs.NO_SUBSCRIBERS}" in events_docs.render({})


# --- the envelope ------------------------------------------------------------------------------

def test_the_envelope_schema_is_a_draft_2020_12_schema_of_the_envelope_fields():
    schema = json.loads(ENVELOPE_SCHEMA_PATH.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == DRAFT_2020_12
    assert tuple(schema["required"]) == ENVELOPE_FIELDS
    assert set(schema["properties"]) == set(ENVELOPE_FIELDS)
    for example in schema["examples"]:
        validate_envelope(example)


@pytest.mark.parametrize("correlation_id", ["", "req-7f3a9c"], ids=["without a request", "with a request id"])
def test_an_outbox_envelope_is_a_valid_envelope(correlation_id: str):
    example = catalogue.entry("user.registered").examples[0]
    event = OutboxEvent(event_type="user.registered", version=1, occurred_at=timezone.now(), producer="auth",
                        correlation_id=correlation_id, aggregate_id=example["user_id"], data=example)
    envelope = event.envelope()
    validate_envelope(envelope)
    # The schema lets readers ignore unknown fields; the writer must still send exactly these.
    assert tuple(envelope) == ENVELOPE_FIELDS
    catalogue.validate(envelope["type"], envelope["data"], envelope["version"])


@pytest.mark.parametrize("damage", [
    {"id": "not-a-uuid"},
    {"occurred_at": "2026-03-02T09:15:27"},  # no offset: ambiguous
    {"type": "UserRegistered"},
    {"version": 0},
    {"data": ["not", "an", "object"]},
    {"correlation_id": None},
], ids=lambda damage: next(iter(damage)))
def test_a_damaged_envelope_is_refused(damage: dict):
    envelope = OutboxEvent(event_type="user.registered", occurred_at=timezone.now(), producer="auth",
                           data=catalogue.entry("user.registered").examples[0]).envelope()
    with pytest.raises(MalformedEnvelope):
        validate_envelope({**envelope, **damage})


def test_an_envelope_without_a_field_is_refused():
    envelope = json.loads(ENVELOPE_SCHEMA_PATH.read_text())["examples"][0]
    for field in ENVELOPE_FIELDS:
        with pytest.raises(MalformedEnvelope, match=field):
            validate_envelope({name: value for name, value in envelope.items() if name != field})
