"""``/healthz`` (the process answers) and ``/readyz`` (what it depends on answers).

A service adds checks of its own with ``READINESS_CHECKS`` in its settings:
dotted paths of callables that raise when their part is not ready
(``READINESS_CHECKS_REPLACE = True`` to use only those).
"""

from __future__ import annotations

import structlog
from django.conf import settings
from django.core.cache import caches
from django.db import connections
from django.http import JsonResponse
from django.utils.module_loading import import_string
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET

from .problems import problem_response

log = structlog.get_logger("marketplace.health")


def check_database() -> None:
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT 1")


def check_cache() -> None:
    for alias in ("default", "shared"):
        caches[alias].get("readyz-probe")


def check_broker() -> None:
    url = getattr(settings, "MARKETPLACE_BROKER_URL", None)
    if not url:
        return  # the embedded transport has no server to lose
    from kombu import Connection

    with Connection(url, connect_timeout=2) as connection:
        connection.ensure_connection(max_retries=1, timeout=2)


DEFAULT_CHECKS = {
    "database": check_database,
    "cache": check_cache,
    "broker": check_broker,
}


def _checks() -> dict:
    checks = {} if getattr(settings, "READINESS_CHECKS_REPLACE", False) else dict(DEFAULT_CHECKS)
    for name, path in getattr(settings, "READINESS_CHECKS", {}).items():
        checks[name] = import_string(path)
    return checks


@csrf_exempt
@require_GET
def healthz(request):
    return JsonResponse({"status": "ok", "service": settings.MARKETPLACE_SERVICE})


@csrf_exempt
@require_GET
def readyz(request):
    results, failing = {}, []
    for name, check in _checks().items():
        try:
            check()
        except Exception as error:  # noqa: BLE001 - any failure means "not ready", named
            # The error's text names hosts, ports and users: the log gets it, the answer only its kind
            # (/readyz is reachable through the gateway by anyone).
            log.warning("readiness_check_failed", check=name, error=f"{type(error).__name__}: {error}"[:300])
            results[name] = f"failing: {type(error).__name__}"
            failing.append(name)
        else:
            results[name] = "ok"
    if failing:
        return problem_response(
            503,
            f"Not ready: {', '.join(failing)} not answering.",
            code="not_ready",
            service=settings.MARKETPLACE_SERVICE,
            checks=results,
        )
    return JsonResponse({"status": "ready", "service": settings.MARKETPLACE_SERVICE, "checks": results})
