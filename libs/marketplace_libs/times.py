"""Times as the platform writes them: ISO 8601 in UTC with a ``Z``, the way DRF renders a
DateTimeField, so an event, a socket frame and a REST answer say the same moment the same way."""

from __future__ import annotations

from datetime import datetime, timezone


def iso_utc(moment: datetime) -> str:
    """``moment`` (aware) as ``2026-04-11T16:20:00.123456Z``; microseconds only when there are some."""
    if moment.tzinfo is None:
        raise ValueError("iso_utc() needs an aware datetime: a naive one has no known offset")
    return moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")
