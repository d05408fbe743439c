"""The envelope every event travels in: ``{id, type, version, occurred_at, producer, correlation_id, data}``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

ENVELOPE_FIELDS = ("id", "type", "version", "occurred_at", "producer", "correlation_id", "data")


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
