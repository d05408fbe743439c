"""`manage_all.py logs`: the running platform's merged log, readable, filtered to a service or a request.

`manage_all.py up` copies the platform's combined output to ``var/log/platform.log`` (honcho's
``HH:MM:SS <process> | <output>`` lines; the previous run's is ``platform.log.1``). Output that is an
ECS JSON log line is printed as one compact line; anything else (Celery's banner, nginx's error
log) as it is. ``--request-id`` keeps the lines whose ``trace.id`` or ``marketplace.correlation_id`` is
the id: the gateway's (nginx and the Django edge), the service's, and those of every event the
request caused, in whichever worker handled it.
"""

from __future__ import annotations

import json
import re
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from marketplace_libs.logging_setup import flatten
from marketplace_libs.topology import ALL_SERVICES

CLOCK = re.compile(r"T(\d\d:\d\d:\d\d(?:\.\d{1,3})?)")
HONCHO_LINE = re.compile(r"^(?P<time>\d\d:\d\d:\d\d) (?P<process>\S+)\s*\| ?(?P<text>.*)$")
PROCESS_SUFFIX = re.compile(r"-(relay|worker|beat|\d+)$")
# Fields every line has, or that the compact form shows in its own place.
_SHOWN_ELSEWHERE = frozenset({
    "@timestamp", "log.level", "message", "ecs.version", "service.name", "log.logger", "event.dataset",
    "process.pid", "trace.id", "user.id", "http.request.method", "url.path", "http.response.status_code",
    "event.duration", "marketplace.duration_ms", "marketplace.event_type", "marketplace.correlation_id",
    "error.stack_trace",
})
_LEVEL_COLOURS = {"warning": "33", "error": "31", "critical": "31", "debug": "2"}


@dataclass(frozen=True)
class Entry:
    time: str
    process: str
    text: str
    record: dict | None  # the flattened JSON log line, or None for other output

    @property
    def service(self) -> str:
        """The service (or nginx, gateway, system) this line is from."""
        if self.record and self.record.get("service.name"):
            return str(self.record["service.name"])
        return PROCESS_SUFFIX.sub("", self.process)


def parse(line: str) -> Entry | None:
    match = HONCHO_LINE.match(line.rstrip("\n"))
    if match is None:
        return None
    text = match["text"]
    record = None
    if text.startswith("{"):
        try:
            parsed = json.loads(text)
        except ValueError:
            parsed = None
        if isinstance(parsed, dict):
            record = flatten(parsed)
    return Entry(match["time"], match["process"], text, record)


def ids_of(entry: Entry) -> set[str]:
    """The request ids a line carries."""
    if entry.record is None:
        return set()
    return {str(entry.record[field]) for field in ("trace.id", "marketplace.correlation_id", "http.request.id")
            if entry.record.get(field)}


def selected(entry: Entry, *, service: str | None, request_id: str | None) -> bool:
    if service and service not in (entry.service, entry.process, PROCESS_SUFFIX.sub("", entry.process)):
        return False
    if request_id and request_id not in ids_of(entry):
        return False
    return True


def moment(entry: Entry) -> datetime | None:
    """When the line was written (its @timestamp), for putting lines of several processes in order."""
    try:
        return datetime.fromisoformat(str(entry.record["@timestamp"]).replace("Z", "+00:00"))
    except (KeyError, TypeError, ValueError):
        return None


def render(entry: Entry, *, colour: bool = False) -> str:
    if entry.record is None:
        return f"{entry.time:<12} {entry.process:<22} {'':<7} {entry.text}"
    record = entry.record
    clock = CLOCK.search(str(record.get("@timestamp", "")))
    clock = clock.group(1) if clock else entry.time
    level = str(record.get("log.level", "")).lower()
    parts = [_message(record)]
    if record.get("user.id"):
        parts.append(f"user={record['user.id']}")
    parts.extend(f"{key}={_short(value)}" for key, value in record.items()
                 if key not in _SHOWN_ELSEWHERE and value not in (None, "", [], {}))
    if record.get("trace.id"):
        parts.append(f"trace={record['trace.id']}")
    head = f"{clock:<12} {entry.process:<22} {level.upper():<7}"
    if colour and level in _LEVEL_COLOURS:
        head = f"\033[{_LEVEL_COLOURS[level]}m{head}\033[0m"
    line = f"{head} {' '.join(parts)}".replace("\n", "\n    ")
    if record.get("error.stack_trace"):
        line += "\n" + "\n".join(f"    {row}" for row in str(record["error.stack_trace"]).splitlines())
    return line


# Readiness and health polls (the gateway's /healthz asks every service's /readyz) and metric scrapes.
POLL_PATH = re.compile(r"(^|/)(healthz|readyz|livez|metrics)/?$")
# The same polls as the HTTP client making them logs them ("HTTP Request: GET http://…/readyz …").
POLL_REQUEST = re.compile(r"^HTTP Request: \S+ \S+?/(healthz|readyz|livez|metrics)/? ")
# nginx's error log quoting a poll it could not pass on (the gateway app still starting).
POLL_ERROR = re.compile(r'request: "\S+ \S*?/(healthz|readyz|livez|metrics)/? HTTP/')
_STATUS_COLOURS = {"2": "32", "3": "36", "4": "33", "5": "31"}


def console_text(record: dict, *, colour: bool = False) -> str | None:
    """A flattened JSON log line as `manage_all.py up` prints it after honcho's ``time process |``:
    a request as ``GET /api/gigs/ 200 12 ms user=… rid=…``, any other line as its message and fields,
    warnings and errors with their level and every field in full; None for polls nobody reads."""
    path = str(record.get("url.path") or "")
    if POLL_PATH.search(path) or POLL_REQUEST.search(str(record.get("message", ""))):
        return None
    level = str(record.get("log.level", "")).lower()
    loud = level in ("warning", "error", "critical")
    if "http.request.method" in record:
        status = str(record.get("http.response.status_code", ""))
        shown = status
        if colour and status[:1] in _STATUS_COLOURS:
            shown = f"\033[{_STATUS_COLOURS[status[:1]]}m{status}\033[0m"
        parts = [f"{record['http.request.method']} {path} {shown}"]
        duration = record.get("event.duration")
        if isinstance(duration, (int, float)):
            parts.append(f"{duration / 1_000_000:.0f} ms")
        if record.get("message") not in (None, "", "request"):
            parts.append(str(record["message"]))
    else:
        parts = [_message(record)]
    if record.get("user.id"):
        parts.append(f"user={record['user.id']}")
    parts.extend(f"{key}={value if loud and isinstance(value, str) else _short(value)}"
                 for key, value in record.items()
                 if key not in _SHOWN_ELSEWHERE and key not in _CONSOLE_QUIET and value not in (None, "", [], {}))
    rid = record.get("trace.id") or record.get("marketplace.correlation_id")
    if rid:
        parts.append(f"rid={rid}")
    line = " ".join(parts)
    if loud or level == "debug":
        head = level.upper()
        if colour:
            head = f"\033[{_LEVEL_COLOURS[level]}m{head}\033[0m"
        line = f"{head} {line}"
    if record.get("error.stack_trace"):
        line += "\n" + str(record["error.stack_trace"]).rstrip("\n")
    return line


def console_plain(line: str) -> str | None:
    """A line that is not JSON (a server's own output, nginx's error log) as `up` prints it: as it is,
    but for nginx's complaints about polls."""
    return None if POLL_ERROR.search(line) else line


# Fields of every request line that only a log search needs (they stay in var/log/platform.log).
_CONSOLE_QUIET = frozenset({
    "client.ip", "http.response.body.bytes", "marketplace.upstream_response_time", "http.request.id",
})


def _message(record: dict) -> str:
    """The message, or for a request "GET /path 200 12.3ms", for a handled event its type."""
    message = str(record.get("message", ""))
    if "http.request.method" in record:
        text = " ".join(str(record.get(field, "")) for field in
                        ("http.request.method", "url.path", "http.response.status_code"))
        duration = record.get("event.duration")
        if isinstance(duration, (int, float)):
            text += f" {duration / 1_000_000:.1f}ms"
        return text if message == "request" else f"{message} {text}"
    if record.get("marketplace.event_type"):
        return f"{message} {record['marketplace.event_type']}"
    if isinstance(record.get("event.duration"), (int, float)):
        return f"{message} {record['event.duration'] / 1_000_000:.1f}ms"
    return message


def _short(value) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= 120 else text[:117] + "..."


def lines(path: Path, *, follow: bool, poll_seconds: float = 0.25):
    """The file's lines; with ``follow``, then those appended to it (across `up` restarts, which
    start a new file)."""
    handle = open(path, encoding="utf-8", errors="replace")
    inode = path.stat().st_ino
    pending = ""
    try:
        while True:
            chunk = handle.readline()
            if chunk:
                pending += chunk
                if pending.endswith("\n"):
                    yield pending
                    pending = ""
                continue
            if not follow:
                if pending:
                    yield pending
                return
            time.sleep(poll_seconds)
            try:
                current = path.stat().st_ino
            except FileNotFoundError:
                continue
            if current != inode:  # a new `up` started a new file
                handle.close()
                handle = open(path, encoding="utf-8", errors="replace")
                inode = current
    finally:
        handle.close()


def known_sources() -> list[str]:
    return ["nginx", "gateway", *(spec.name for spec in ALL_SERVICES)]


def run(args, log_path: Path) -> int:
    path = Path(args.file) if args.file else log_path
    if args.service and PROCESS_SUFFIX.sub("", args.service) not in known_sources():
        print(f"unknown service {args.service!r}; one of: {', '.join(known_sources())} "
              f"(or one of their processes: orders-worker, chat-2...)")
        return 2
    if not path.exists():
        print(f"no log at {path}: `manage_all.py up` writes it while the platform runs")
        return 1
    colour = sys.stdout.isatty() and not args.json

    def show(entry: Entry) -> None:
        print(entry.text if args.json else render(entry, colour=colour), flush=args.follow)

    try:
        matching = (entry for entry in map(parse, lines(path, follow=args.follow))
                    # (None: output printed before honcho started, the migrations)
                    if entry is not None and selected(entry, service=args.service, request_id=args.request_id))
        if args.request_id and not args.follow:
            # One request's lines, in the order they were written: nginx writes its own late (buffered).
            earliest = datetime.min.replace(tzinfo=timezone.utc)
            for entry in sorted(matching, key=lambda entry: moment(entry) or earliest):
                show(entry)
        else:
            for entry in matching:
                show(entry)
    except KeyboardInterrupt:
        return 0
    except BrokenPipeError:  # | head
        sys.stderr.close()
        return 0
    return 0
