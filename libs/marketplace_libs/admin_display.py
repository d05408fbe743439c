"""What the admins show of stored event data: the same redaction as the logs.

Live secrets travel in some payloads (the reset link of ``auth.password_reset_requested``, kept in
the auth outbox and in the notification service's email deliveries for a resend); staff reading a
row must not be able to use it.
"""

from __future__ import annotations

import json

from django.utils.html import format_html

from .logging_setup import redact


def redacted_json(value) -> str:
    return format_html("<pre>{}</pre>", json.dumps(redact(value), indent=2, ensure_ascii=False, default=str))
