"""``Idempotency-Key`` on the POSTs that create orders or move money.

The same key with the same body answers the first answer again and does nothing; with another body it
is a 409. The first answer is written in the transaction that does the work, so "the work is done" and
"the answer is recorded" commit together: a process killed in between leaves neither, and the retry
does the work once. A second request with the same key while the first is running waits on the key's
unique index, then replays the first answer (or, if the first failed, does the work itself).

Only answers below 400 are kept: a refused request changed nothing, so trying it again is harmless.
Keys live ``KEY_LIFETIME`` (24 hours, as Stripe's); after that the same key starts afresh.
"""

from __future__ import annotations

import functools
import hashlib
import json
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder

from ..errors import Conflict, InvalidInput

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
KEY_LIFETIME = timedelta(hours=24)
MAX_KEY_LENGTH = 255


class KeyReused(Conflict):
    code = "idempotency_key_reused"
    default_detail = "This Idempotency-Key was already used with another request body."


def idempotent(view_method):
    """Decorate a DRF view's ``post`` (or other unsafe method) to honour ``Idempotency-Key``."""

    @functools.wraps(view_method)
    def answer(view, request, *args, **kwargs):
        key = request.headers.get(HEADER)
        if key is None:
            return view_method(view, request, *args, **kwargs)
        _check_key(key)
        identity = {"owner": str(getattr(request.user, "id", "") or ""),
                    "scope": f"{request.method} {request.path}", "key": key}
        fingerprint = _fingerprint(request.body)
        with transaction.atomic():
            replay = _claim(identity, fingerprint)
            if replay is not None:
                return replay
            response = view_method(view, request, *args, **kwargs)
            _record(identity, fingerprint, response)
            return response

    return answer


def purge_expired(*, now=None) -> int:
    """Delete the keys older than ``KEY_LIFETIME``; returns how many."""
    from .models import IdempotentRequest

    cutoff = (now or timezone.now()) - KEY_LIFETIME
    deleted, _ = IdempotentRequest.objects.filter(created_at__lt=cutoff).delete()
    return deleted


def _check_key(key: str) -> None:
    if not key or len(key) > MAX_KEY_LENGTH or not key.isascii() or not key.isprintable():
        raise InvalidInput.on(HEADER, f"An Idempotency-Key is 1 to {MAX_KEY_LENGTH} printable ASCII characters.")


def _fingerprint(body: bytes) -> str:
    """The same JSON in another key order or spacing is the same request."""
    try:
        canonical = json.dumps(json.loads(body or b"null"), sort_keys=True, separators=(",", ":")).encode()
    except (ValueError, UnicodeDecodeError):
        canonical = body
    return hashlib.sha256(canonical).hexdigest()


def _claim(identity: dict, fingerprint: str) -> Response | None:
    """Take the key for this transaction, or return the first answer given under it."""
    from .models import IdempotentRequest

    # A placeholder row: its unique index makes a concurrent request with the same key wait here until this
    # transaction ends. Written inside a savepoint so that losing the race leaves the transaction usable.
    try:
        with transaction.atomic():
            IdempotentRequest.objects.create(**identity, fingerprint=fingerprint, status_code=0)
            return None
    except IntegrityError:
        pass
    first = IdempotentRequest.objects.select_for_update().get(**identity)
    if first.created_at < timezone.now() - KEY_LIFETIME:
        first.delete()
        return _claim(identity, fingerprint)
    if first.fingerprint != fingerprint:
        raise KeyReused()
    replay = Response(first.response, status=first.status_code)
    replay[REPLAYED_HEADER] = "true"
    return replay


def _record(identity: dict, fingerprint: str, response: Response) -> None:
    from .models import IdempotentRequest

    if response.status_code >= 400:
        IdempotentRequest.objects.filter(**identity).delete()
        return
    # Encoded as the JSON renderer encodes it, so that the replay is the first answer byte for byte.
    stored = json.loads(json.dumps(response.data, cls=JSONEncoder))
    IdempotentRequest.objects.filter(**identity).update(status_code=response.status_code, response=stored,
                                                        created_at=timezone.now())
