"""JSON logs, one object per line on stdout, for every process of the platform.

Django's, gunicorn's and Celery's own loggers go through the same structlog
formatter, so every line has the same shape: timestamp, level, logger,
message, service, request id and user id, plus the event's own fields.
"""

from __future__ import annotations


import structlog

from .request_context import request_id_var, user_id_var

# Field names whose values must never reach a log line.
_SECRET_FIELDS = frozenset(
    {"password", "old_password", "new_password", "token", "access", "refresh",
     "authorization", "secret", "signature", "body", "email_body"}
)


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


def _redact_secrets(_logger, _method, event_dict):
    for key in _SECRET_FIELDS.intersection(event_dict):
        event_dict[key] = "[redacted]"
    return event_dict


def _rename_to_message(_logger, _method, event_dict):
    event_dict["message"] = event_dict.pop("event", "")
    return event_dict


def _shared_processors(service: str) -> list:
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True, key="timestamp"),
        _add_context(service),
        _redact_secrets,
    ]


def logging_config(service: str, level: str = "INFO") -> dict:
    """A ``LOGGING`` dict for Django settings (also used by workers and scripts)."""
    configure_structlog(service)
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "json": {
                "()": structlog.stdlib.ProcessorFormatter,
                "processors": [
                    structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                    _rename_to_message,
                    structlog.processors.format_exc_info,
                    structlog.processors.JSONRenderer(sort_keys=False),
                ],
                "foreign_pre_chain": _shared_processors(service),
            }
        },
        "handlers": {
            "stdout": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stdout"}
        },
        "root": {"handlers": ["stdout"], "level": level},
        "loggers": {
            # Our access log line replaces Django's own request logging.
            "django.server": {"level": "WARNING"},
            "django.request": {"level": "ERROR"},
            "gunicorn.access": {"level": "WARNING"},
            # One "event_handled" line per event (with its correlation id) replaces Celery's two.
            "celery.app.trace": {"level": "WARNING"},
            "celery.worker.strategy": {"level": "WARNING"},
        },
    }


def configure_structlog(service: str) -> None:
    structlog.configure(
        processors=[
            *_shared_processors(service),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
