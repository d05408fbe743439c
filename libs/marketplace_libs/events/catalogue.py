"""The catalogue of event types: one JSON Schema per type and version, in schemas/."""

from __future__ import annotations

import json
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


def validate(event_type: str, data: dict, version: int = 1) -> None:
    try:
        jsonschema.validate(data, schema_for(event_type, version), format_checker=FORMAT_CHECKER)
    except jsonschema.ValidationError as error:
        raise InvalidEvent(f"{event_type} v{version}: {error.message}") from None
