"""JSON logs in the Elastic Common Schema (ECS), one object per line on stdout, for every process.

Django's, gunicorn's, uvicorn's and Celery's own loggers go through the same formatter as ours
(structlog), which ``ecs-logging`` renders. Every line has ``@timestamp``, ``log.level``,
``message``, ``service.name``, ``event.dataset`` and, when there is one, ``trace.id`` (the request
id, or the correlation id of the event being handled), ``user.id`` and the event's
``marketplace.event_id`` / ``marketplace.event_type`` / ``marketplace.correlation_id``; access
lines add ``http.request.method``, ``url.path``, ``http.response.status_code`` and
``event.duration`` (nanoseconds; ``marketplace.duration_ms`` in milliseconds). Fields of our own
live under ``marketplace.``. See docs/observability.md.

Code logs with plain keys (``request_id=``, ``user_id=``, ``duration_ms=``, ``error=``...); the
formatter maps them to their ECS fields, so call sites stay short. Secrets never reach a line:
values under secret-sounding keys are replaced, and tokens, signatures, webhook secrets, private
keys and URL passwords are cut out of every string (:func:`redact`).
"""

from __future__ import annotations

import datetime
import functools
import json
import logging
import os
import re
import sys
import threading
import time

import ecs_logging
import structlog

from .request_context import request_id_var, user_id_var

REDACTED = "[redacted]"

# --- redaction ---------------------------------------------------------------------------------

# Keys (lower case, "-" read as "_") whose values never reach a log line, at any depth.
_SECRET_KEYS = frozenset({
    "password", "old_password", "new_password", "password1", "password2", "current_password",
    "token", "tokens", "access", "refresh", "access_token", "refresh_token", "id_token",
    "authorization", "proxy_authorization", "cookie", "set_cookie", "secret", "signature",
    "body", "email_body", "html_body", "text_body", "html_message", "private_key", "api_key",
})
_SECRET_KEY_PARTS = ("password", "passwd", "secret", "signature", "authorization", "cookie", "private_key",
                     "api_key")

# Secrets inside any string: a message, an exception, a URL.
_SECRET_NAME = r"[a-z_]*(?:password|passwd|secret|token|refresh|signature|authorization|api_key)[a-z0-9_]*"
_SECRET_PATTERNS = [
    # JSON Web Tokens (access and refresh tokens).
    (re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*"), REDACTED),
    (re.compile(r"(?i)\b(bearer)\s+[A-Za-z0-9._~+/=-]+"), r"\1 " + REDACTED),
    # ?token=... (the sockets' handshake), and any other credential in a query string.
    (re.compile(r"(?i)([?&;](?:token|access|refresh|access_token|refresh_token|password|secret|signature|"
                r"api_key|key)=)[^&;\s\"'#]+"), r"\1" + REDACTED),
    # X-Payment-Signature: t=<unix>,v1=<hex HMAC>.
    (re.compile(r"(?i)\b(v1=)[0-9a-f]{16,}"), r"\1" + REDACTED),
    # A secret-named field inside serialized data: "password": "...", 'token': '...', secret=...
    (re.compile(r'(?i)("' + _SECRET_NAME + r'"\s*:\s*")(?:[^"\\]|\\.)*"'), r'\1' + REDACTED + '"'),
    (re.compile(r"(?i)('" + _SECRET_NAME + r"'\s*:\s*')[^']*'"), r"\1" + REDACTED + "'"),
    (re.compile(r"(?i)(\b" + _SECRET_NAME + r"=)(?!\[redacted\])[^&;,\s\"']+"), r"\1" + REDACTED),
    # Webhook secrets in the provider's format (the development default is one).
    (re.compile(r"\bwhsec_[A-Za-z0-9_]+"), REDACTED),
    # user:password@ in a URL (database, broker, SMTP).
    (re.compile(r"(\b[a-z][a-z0-9+.-]*://[^/\s:@]*:)[^@\s/]+@"), r"\1" + REDACTED + "@"),
    (re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(-----END [A-Z ]*PRIVATE KEY-----|$)", re.S), REDACTED),
]
# Every pattern above needs one of these to match (case aside): a string with none of them is passed
# over with one search instead of ten substitutions. Most strings of a log line (ids, event types,
# outcomes, paths) have none, and every string of every line passes here (docs/performance.md,
# Event backbone).
_MIGHT_HOLD_A_SECRET = re.compile(r"(?i)eyJ|bearer|=|://|whsec_|-----BEGIN|passw|secret|token|refresh|signature|"
                                  r"authorization|api_key")
# Environment variables whose values are secrets wherever they appear (MARKETPLACE_SECRET_KEY,
# MARKETPLACE_PAYMENT_WEBHOOK_SECRET, MARKETPLACE_JWT_PRIVATE_KEY...).
_SECRET_ENV_NAME = re.compile(r"(SECRET|PASSWORD|PASSWD|TOKEN|PRIVATE_KEY|API_KEY)")
_MIN_SECRET_LENGTH = 8
_known_secrets: set[str] = set()


def register_secret(value: str | None) -> None:
    """A value that must never appear in a log line (in addition to those of the environment)."""
    if value and len(value) >= _MIN_SECRET_LENGTH:
        _known_secrets.add(value)


def _register_environment_secrets() -> None:
    for name, value in os.environ.items():
        if _SECRET_ENV_NAME.search(name.upper()):
            register_secret(value)


def _is_secret_key(key) -> bool:
    return isinstance(key, str) and _is_secret_name(key)


@functools.lru_cache(maxsize=4096)  # a log line's keys come from a small, fixed vocabulary
def _is_secret_name(key: str) -> bool:
    name = key.lower().replace("-", "_").rsplit(".", 1)[-1]
    return name in _SECRET_KEYS or name.endswith("_token") or any(part in name for part in _SECRET_KEY_PARTS)


def _redact_string(text: str) -> str:
    for secret in _known_secrets:
        if secret in text:
            text = text.replace(secret, REDACTED)
    if _MIGHT_HOLD_A_SECRET.search(text) is None:
        return text
    for pattern, replacement in _SECRET_PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def redact(value):
    """``value`` with every secret taken out: values of secret keys, and secrets inside strings."""
    if isinstance(value, str):
        return _redact_string(value)
    if isinstance(value, dict):
        return {key: REDACTED if _is_secret_key(key) and item not in (None, "") else redact(item)
                for key, item in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [redact(item) for item in value]
    return value


def _redact_secrets(_logger, _method, event_dict):
    return redact(event_dict)


# --- context -----------------------------------------------------------------------------------

def _add_context(service: str):
    def processor(_logger, _method, event_dict):
        event_dict.setdefault("service", service)
        request_id = request_id_var.get()
        if request_id and "request_id" not in event_dict:
            event_dict["request_id"] = request_id
        user_id = user_id_var.get()
        if user_id and "user_id" not in event_dict:
            event_dict["user_id"] = user_id
        return event_dict

    return processor


def _add_error_fields(_logger, _method, event_dict):
    """``error.type`` and ``error.message`` of a logged exception (its traceback becomes ``error.stack_trace``)."""
    exc_info = event_dict.get("exc_info")
    if exc_info is True:
        exc_info = sys.exc_info()
    if isinstance(exc_info, BaseException):
        exc_info = (type(exc_info), exc_info, exc_info.__traceback__)
    if isinstance(exc_info, tuple) and exc_info[0] is not None:
        event_dict.setdefault("error.type", exc_info[0].__name__)
        event_dict.setdefault("error.message", str(exc_info[1]))
    return event_dict


# --- the Elastic Common Schema -----------------------------------------------------------------

# Our keys and the ECS fields they become.
ECS_FIELDS = {
    "level": "log.level",
    "logger": "log.logger",
    "service": "service.name",
    "request_id": "trace.id",
    "user_id": "user.id",
    "email": "user.email",
    # The event machinery's ids, in the platform's own namespace (custom fields, as ECS advises;
    # the names compose/elasticsearch's index template maps).
    "correlation_id": "marketplace.correlation_id",
    "event_id": "marketplace.event_id",
    "event_type": "marketplace.event_type",
    "outcome": "marketplace.event_outcome",
}
# ECS field sets: a plain value under one of these names would clash with the ECS mapping in
# Elasticsearch, so such a key moves under ``marketplace.`` (``error`` becomes ``error.message``).
_ECS_FIELD_SETS = frozenset({
    "agent", "as", "client", "cloud", "code_signature", "container", "data_stream", "destination", "device",
    "dll", "dns", "ecs", "elf", "email", "error", "event", "faas", "file", "geo", "group", "hash", "host", "http",
    "interface", "log", "macho", "network", "observer", "orchestrator", "organization", "os", "package", "pe",
    "process", "registry", "related", "risk", "rule", "server", "service", "source", "span", "threat", "tls",
    "trace", "transaction", "url", "user", "user_agent", "vlan", "volume", "vulnerability", "x509", "labels",
})


def dataset_of(logger_name: str) -> str:
    """``event.dataset``: what kind of line this is (the service is ``service.name``)."""
    if logger_name == "marketplace.access":
        return "marketplace.access"
    if logger_name.startswith("marketplace.events"):
        return "marketplace.events"
    return "marketplace.app"


def _to_ecs(_logger, _method, event_dict):
    logger_name = str(event_dict.get("logger") or "")
    for key, field in ECS_FIELDS.items():
        if key in event_dict:
            value = event_dict.pop(key)
            if value is not None and value != "":
                event_dict[field] = str(value) if field.startswith(("marketplace.", "trace.", "user.")) else value
    if "duration_ms" in event_dict:
        duration = event_dict.pop("duration_ms")
        if isinstance(duration, (int, float)):
            event_dict["event.duration"] = int(duration * 1_000_000)  # ECS: nanoseconds
            event_dict["marketplace.duration_ms"] = duration  # the same, for people
    # ("event" itself is the message until the renderer makes it ``message``.)
    for key in [key for key in event_dict if key in _ECS_FIELD_SETS and key != "event"]:
        value = event_dict.pop(key)
        if key == "error" and not isinstance(value, dict):
            event_dict.setdefault("error.message", str(value))
        elif isinstance(value, dict):
            event_dict[key] = value
        else:
            event_dict[f"marketplace.{key}"] = value
    event_dict.setdefault("event.dataset", dataset_of(logger_name))
    event_dict.setdefault("process.pid", os.getpid())
    return event_dict


class ECSRenderer:
    """One ECS JSON line: ``@timestamp``, ``log.level`` and ``message`` first, then every other field
    nested under its dotted name with keys sorted, as ``ecs_logging.StructlogFormatter`` writes it.

    Rendered here rather than by that formatter because its generic de-dotting (``normalize_dict``)
    cost more than half of every line's formatting (docs/performance.md, issue 24); the output is the
    same. A field clash (``"a": 1`` beside ``"a.b": 2``) never loses the line: it is kept, flattened.
    """

    def __call__(self, logger, method, event_dict) -> str:
        fields = dict(event_dict)
        head = {
            "@timestamp": fields.pop("@timestamp", None) or _now_iso(),
            "log.level": fields.pop("log.level", None) or method.lower(),
            "message": str(fields.pop("event", "")),
        }
        if "exception" in fields:
            fields["error.stack_trace"] = fields.pop("exception")
        try:
            body = _nested(fields)
        except _FieldClash:
            body = _unrendered(fields)
        body.setdefault("ecs.version", ecs_logging.ECS_VERSION)
        return _dumps(head)[:-1] + "," + _dumps(body, sort_keys=True)[1:]


class _FieldClash(Exception):
    pass


def _nested(fields: dict) -> dict:
    """``{"a.b": 1, "a.c": 2}`` → ``{"a": {"b": 1, "c": 2}}``, at any depth, dicts within included."""
    nested: dict = {}
    for key, value in fields.items():
        if isinstance(value, dict):
            value = _nested(value)
        *parents, leaf = key.split(".") if "." in key else (key,)
        node = nested
        for part in parents:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise _FieldClash(key)
        if leaf in node:
            if not (isinstance(node[leaf], dict) and isinstance(value, dict)):
                raise _FieldClash(key)
            node[leaf] = _merged(node[leaf], value, key)
        else:
            node[leaf] = value
    return nested


def _merged(into: dict, other: dict, key: str) -> dict:
    for name, value in other.items():
        if name in into:
            if not (isinstance(into[name], dict) and isinstance(value, dict)):
                raise _FieldClash(f"{key}.{name}")
            into[name] = _merged(into[name], value, f"{key}.{name}")
        else:
            into[name] = value
    return into


def _unrendered(fields: dict) -> dict:
    kept = {key: fields[key] for key in ("service.name", "trace.id") if fields.get(key) is not None}
    return kept | {"marketplace.unrendered": repr(fields), "marketplace.render_error": "field clash"}


def _dumps(value, *, sort_keys: bool = False) -> str:
    return json.dumps(value, sort_keys=sort_keys, separators=(",", ":"), default=_json_fallback)


def _json_fallback(value) -> str:
    try:
        return value.__structlog__()
    except AttributeError:
        return repr(value)


def _now_iso() -> str:
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def flatten(record: dict, prefix: str = "") -> dict:
    """A parsed ECS line with every field under its dotted name (``{"service": {"name": x}}`` and
    ``{"service.name": x}`` both give ``{"service.name": x}``), for readers of the logs."""
    flat = {}
    for key, value in record.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            flat.update(flatten(value, f"{name}."))
        else:
            flat[name] = value
    return flat


# --- writing -----------------------------------------------------------------------------------

class BatchingStreamHandler(logging.StreamHandler):
    """Writes lines to a stream together: at most ``interval`` seconds after the first one waiting,
    at once for a WARNING or worse (so a crash's last words are out before it), and at exit.

    A write to stdout is a system call, and under load every thread of a web worker queued behind the
    handler's lock for its own; here a line is formatted outside the lock, and a thread appends it to
    the batch a background thread writes (docs/performance.md, issue 24). What a ``kill -9`` can take
    with it is at most ``interval`` seconds of INFO lines.
    """

    def __init__(self, stream=None, *, interval: float = 0.25, capacity: int = 512):
        super().__init__(stream)
        self.interval = interval
        self.capacity = capacity
        self._batch: list[str] = []
        self._wake = threading.Event()
        self._writer: threading.Thread | None = None
        self._writer_pid = 0

    def handle(self, record) -> bool:
        rv = self.filter(record)
        if isinstance(rv, logging.LogRecord):
            record = rv
        if not rv:
            return False
        try:
            line = self.format(record) + self.terminator
        except Exception:  # noqa: BLE001 - logging's own contract: report, never raise
            self.handleError(record)
            return True
        with self.lock:
            self._batch.append(line)
            urgent = record.levelno >= logging.WARNING or len(self._batch) >= self.capacity
            if urgent:
                self._write_batch()
        if not urgent:
            self._ensure_writer()
            self._wake.set()
        return True

    def emit(self, record) -> None:  # only reached through Handler.handle's callers that bypass ours
        self.handle(record)

    def flush(self) -> None:
        with self.lock:
            self._write_batch()

    def _write_batch(self) -> None:
        if not self._batch:
            return
        text, self._batch = "".join(self._batch), []
        try:
            self.stream.write(text)
            if hasattr(self.stream, "flush"):
                self.stream.flush()
        except Exception:  # noqa: BLE001 - a closed or broken stdout must not stop the process
            pass

    def _ensure_writer(self) -> None:
        # After a fork (gunicorn's workers, Celery's) the parent's thread is not in the child.
        if self._writer is not None and self._writer_pid == os.getpid():
            return
        with self.lock:
            if self._writer is not None and self._writer_pid == os.getpid():
                return
            self._writer_pid = os.getpid()
            self._writer = threading.Thread(target=self._write_periodically, name="log-writer", daemon=True)
            self._writer.start()

    def _write_periodically(self) -> None:
        while True:
            self._wake.wait()
            time.sleep(self.interval)  # let the batch fill: one write for everything said meanwhile
            self._wake.clear()
            self.flush()


# --- configuration -----------------------------------------------------------------------------

def _shared_processors(service: str) -> list:
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True, key="@timestamp"),
        _add_context(service),
    ]


def formatter_processors() -> list:
    """The formatter's chain after the shared processors: errors, redaction, ECS, rendering."""
    return [
        structlog.stdlib.ProcessorFormatter.remove_processors_meta,
        _add_error_fields,
        structlog.processors.format_exc_info,
        _redact_secrets,
        _to_ecs,
        ECSRenderer(),
    ]


def _skip_record_attributes_nobody_reads() -> None:
    """No caller's frame, thread, process or multiprocessing names on each ``LogRecord``: the ECS
    line carries none of them (``process.pid`` comes from ``_to_ecs``), and looking them up cost
    ~10 % of every line (docs/performance.md, issue 25). These are the switches the logging HOWTO's
    "Optimization" section names for this."""
    logging._srcfile = None
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False


def only_exceptions(record: logging.LogRecord) -> bool:
    """For django.request: keep the records that carry an exception (their stack trace is nowhere
    else) and drop those that only say a response was 4xx/5xx, which the access line says already;
    a failing readiness answer would otherwise print "Service Unavailable: /readyz" on every poll."""
    return record.exc_info is not None


def logging_config(service: str, level: str = "INFO") -> dict:
    """A ``LOGGING`` dict for Django settings (also used by workers and scripts)."""
    configure_structlog(service)
    _register_environment_secrets()
    logging.captureWarnings(True)  # Python warnings (Celery's, Django's) become JSON lines too
    _skip_record_attributes_nobody_reads()
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "json": {
                "()": structlog.stdlib.ProcessorFormatter,
                "processors": formatter_processors(),
                "foreign_pre_chain": _shared_processors(service),
            }
        },
        "filters": {"only_exceptions": {"()": "django.utils.log.CallbackFilter", "callback": only_exceptions}},
        "handlers": {
            "stdout": {"class": "marketplace_libs.logging_setup.BatchingStreamHandler", "formatter": "json",
                       "stream": "ext://sys.stdout"}
        },
        "root": {"handlers": ["stdout"], "level": level},
        "loggers": {
            # Our access log line replaces Django's own request logging.
            "django.server": {"level": "WARNING"},
            "django.request": {"level": "ERROR", "filters": ["only_exceptions"]},
            # gunicorn's and uvicorn's loggers have handlers of their own (plain text): theirs are
            # dropped here, so what they say reaches the JSON handler (uvicorn's socket lines, whose
            # ?token= is redacted, included).
            "gunicorn.error": {"handlers": [], "propagate": True},
            "gunicorn.access": {"handlers": [], "propagate": True, "level": "WARNING"},
            "uvicorn": {"handlers": [], "propagate": True},
            "uvicorn.error": {"handlers": [], "propagate": True},
            "uvicorn.access": {"handlers": [], "propagate": True, "level": "WARNING"},
            # One "event_handled" line per event (with its correlation id) replaces Celery's two.
            "celery.app.trace": {"level": "WARNING"},
            "celery.worker.strategy": {"level": "WARNING"},
        },
    }


def configure_structlog(service: str) -> None:
    structlog.configure(
        processors=[
            # A line below the logger's level is dropped before any work is done on it: the relay and
            # the batch consumer write a debug line per batch (docs/performance.md, issue 25).
            structlog.stdlib.filter_by_level,
            *_shared_processors(service),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
