"""Handlers whose behaviour the tests choose through the username's first word:
``poison_*`` fails until the test cures it, ``flaky_*`` fails twice then works, ``slow_*``
takes PROBE_SLOW_SECONDS (time to kill the worker mid-handler)."""

import time

from django.conf import settings
from django.core.cache import caches

from marketplace_libs.events.registry import handles

from .models import Received


def cure_key(event_id: str) -> str:
    return f"probe:cured:{event_id}"


def record_registration(event):
    username = event.data["username"]
    behaviour = username.split("_", 1)[0]
    shared = caches["shared"]
    if behaviour == "poison" and not shared.get(cure_key(event.id)):
        raise ValueError(f"poisoned event {event.id}")
    if behaviour == "flaky":
        key = f"probe:flaky:{settings.MARKETPLACE_SERVICE}:{event.id}"
        shared.add(key, 0, timeout=600)
        if shared.incr(key) <= 2:
            raise RuntimeError("flaky handler, failing on purpose")
    if behaviour == "slow":
        shared.set(f"probe:started:{settings.MARKETPLACE_SERVICE}:{event.id}", 1, timeout=600)
        time.sleep(settings.PROBE_SLOW_SECONDS)
    Received.objects.create(event_id=event.id, event_type=event.type, username=username,
                            occurred_at=event.occurred_at)


# A probe copy that only publishes (PROBE_SUBSCRIBES=0) binds no queue, as a real producer would not.
if settings.PROBE_SUBSCRIBES:
    handles("user.registered")(record_registration)
