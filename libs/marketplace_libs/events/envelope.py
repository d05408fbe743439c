"""The envelope every event travels in: ``{id, type, version, occurred_at, producer, correlation_id, data}``."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path

import jsonschema

from .catalogue import FORMAT_CHECKER

ENVELOPE_FIELDS = ("id", "type", "version", "occurred_at", "producer", "correlation_id", "data")
ENVELOPE_SCHEMA_PATH = Path(__file__).parent / "envelope.schema.json"


class MalformedEnvelope(ValueError):
    pass


@dataclass(frozen=True)
class Event:
    id: str
    type: str
    version: int
    occurred_at: datetime
    producer: str
    correlation_id: str
    data: dict

    def datetime(self, field: str) -> datetime:
        """A date-time of ``data`` (the catalogue has checked it is RFC 3339), as an aware datetime."""
        return datetime.fromisoformat(self.data[field].replace("Z", "+00:00"))

    @classmethod
    def from_envelope(cls, envelope: dict) -> "Event":
        if not isinstance(envelope, dict):
            raise MalformedEnvelope("the envelope is not an object")
        missing = [name for name in ENVELOPE_FIELDS if name not in envelope]
        if missing:
            raise MalformedEnvelope(f"the envelope lacks {', '.join(missing)}")
        try:
            occurred_at = datetime.fromisoformat(str(envelope["occurred_at"]).replace("Z", "+00:00"))
            version = int(envelope["version"])
        except (TypeError, ValueError) as error:
            raise MalformedEnvelope(str(error)) from None
        if not isinstance(envelope["data"], dict):
            raise MalformedEnvelope("data is not an object")
        return cls(id=str(envelope["id"]), type=str(envelope["type"]), version=version, occurred_at=occurred_at,
                   producer=str(envelope["producer"]), correlation_id=str(envelope["correlation_id"] or ""),
                   data=envelope["data"])


@cache
def envelope_schema() -> dict:
    return json.loads(ENVELOPE_SCHEMA_PATH.read_text())


@cache
def _envelope_validator() -> jsonschema.Draft202012Validator:
    # Built once: a consumer may check every message it receives.
    schema = envelope_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=FORMAT_CHECKER)


def validate_envelope(envelope: dict) -> None:
    """Check an envelope against envelope.schema.json (its data is the catalogue's business).

    Stricter than ``Event.from_envelope``, which only needs what it parses: this also checks the
    formats (a UUID id, an RFC 3339 time with its offset, a dotted type).
    """
    try:
        _envelope_validator().validate(envelope)
    except jsonschema.ValidationError as error:
        where = "/".join(str(part) for part in error.absolute_path)
        raise MalformedEnvelope(f"{where + ': ' if where else ''}{error.message}") from None
