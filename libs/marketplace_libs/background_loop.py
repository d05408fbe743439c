"""Coroutines called from synchronous code that has no event loop of its own (a Celery worker's
event handler, a management command), run on one long-lived loop per process.

``async_to_sync`` makes a new event loop for every such call and closes it after, and an async
client keeps its connections per loop: channels-redis's pub/sub layer opened and closed a Redis
connection for every frame a worker pushed to a socket (docs/performance.md, issue 25). On this
loop the layer's connections live as long as the process.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")

_lock = threading.Lock()
_loop: asyncio.AbstractEventLoop | None = None
_loop_pid = 0


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run ``coroutine`` on the process's background loop; wait for it and return what it returns
    (or raise what it raises), as ``async_to_sync`` would."""
    return asyncio.run_coroutine_threadsafe(coroutine, _running_loop()).result()


def _running_loop() -> asyncio.AbstractEventLoop:
    global _loop, _loop_pid
    # The pid: a forked child (gunicorn's and Celery's workers) inherits the variable, not the thread.
    if _loop is None or _loop_pid != os.getpid():
        with _lock:
            if _loop is None or _loop_pid != os.getpid():
                loop = asyncio.new_event_loop()
                threading.Thread(target=loop.run_forever, name="background-loop", daemon=True).start()
                _loop, _loop_pid = loop, os.getpid()
    return _loop
