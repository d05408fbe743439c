"""The catalogue of event types: one JSON Schema per type and version, in schemas/."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path

import jsonschema

SCHEMA_DIR = Path(__file__).parent / "schemas"


# The schemas' "format"s are checked too (JSON Schema only annotates them by default).
FORMAT_CHECKER = jsonschema.FormatChecker()


@FORMAT_CHECKER.checks("date-time", raises=ValueError)
def _is_date_time(value) -> bool:
    """An RFC 3339 time with its offset, without the optional rfc3339-validator package."""
    if not isinstance(value, str):
        return True
    return "T" in value.upper() and datetime.fromisoformat(value).tzinfo is not None


class UnknownEventType(LookupError):
    pass


class InvalidEvent(ValueError):
    pass


class NotTheProducer(PermissionError):
    pass


@cache
def schema_for(event_type: str, version: int = 1) -> dict:
    path = SCHEMA_DIR / f"{event_type}.v{version}.json"
    if not path.is_file():
        raise UnknownEventType(f"{event_type} v{version} is not in the event catalogue ({SCHEMA_DIR})")
    return json.loads(path.read_text())


def known_event_types() -> list[tuple[str, int]]:
    found = []
    for path in sorted(SCHEMA_DIR.glob("*.v*.json")):
        name, _, version = path.name.removesuffix(".json").rpartition(".v")
        found.append((name, int(version)))
    return found


@cache
def _validator(event_type: str, version: int):
    # Built once per type: jsonschema.validate() re-checks the schema itself on every call.
    schema = schema_for(event_type, version)
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema, format_checker=FORMAT_CHECKER)


def validate(event_type: str, data: dict, version: int = 1) -> None:
    try:
        error = jsonschema.exceptions.best_match(_validator(event_type, version).iter_errors(data))
        if error is not None:
            raise error
    except jsonschema.ValidationError as error:
        raise InvalidEvent(f"{event_type} v{version}: {error.message}") from None


@cache
def producer_of(event_type: str, version: int = 1) -> str:
    """The one service that may publish ``event_type`` (the schema's ``x-producer``)."""
    return schema_for(event_type, version).get("x-producer", "")


@dataclass(frozen=True)
class CatalogueEntry:
    """One event type and version, as docs/events.md and the contract tests present it."""

    event_type: str
    version: int
    producer: str  # the one service that may publish it (the schema's "x-producer")
    description: str
    schema: dict
    examples: list


def entry(event_type: str, version: int = 1) -> CatalogueEntry:
    # A copy: schema_for() is cached, and a caller that edits its entry must not edit the validator's schema.
    schema = copy.deepcopy(schema_for(event_type, version))
    return CatalogueEntry(event_type=event_type, version=version, producer=schema.get("x-producer", ""),
                          description=schema.get("description", ""), schema=schema,
                          examples=schema.get("examples", []))


def entries() -> list[CatalogueEntry]:
    """Every type and version in the catalogue, in (type, version) order."""
    return [entry(event_type, version) for event_type, version in sorted(known_event_types())]
