"""Frames to users' open sockets, on whichever chat process they are (the channel layer's groups)."""

from __future__ import annotations

import asyncio
import logging
import os
from concurrent.futures import Future

from asgiref.sync import SyncToAsync
from channels.layers import get_channel_layer

from marketplace_libs import background_loop

logger = logging.getLogger(__name__)
_in_flight: set[Future] = set()


def user_group(user_id) -> str:
    return f"chat.user.{user_id}"


def push(user_ids, frame: dict) -> None:
    """From synchronous code (a service, after commit), without waiting for the frames to go out.

    A service called from a socket or an ASGI view runs in a worker thread of the process's event
    loop: the push is handed to that loop and the thread goes back to the pool at once, rather than
    waiting (``async_to_sync``) on a busy loop while the small pool runs out of threads
    (docs/performance.md, Chat). Elsewhere (a shell, a management command, a Celery task) there is
    no such loop: the push is made on the process's background loop, and waited for.
    """
    loop = _serving_loop()
    if loop is None:
        background_loop.run(push_async(user_ids, frame))
        return
    future = asyncio.run_coroutine_threadsafe(push_async(user_ids, frame), loop)
    _in_flight.add(future)
    future.add_done_callback(_settled)


async def push_async(user_ids, frame: dict) -> None:
    layer = get_channel_layer()
    message = {"type": "chat.frame", "frame": frame}
    await asyncio.gather(*(layer.group_send(user_group(user_id), message) for user_id in user_ids))


def _serving_loop() -> asyncio.AbstractEventLoop | None:
    # asgiref records, in each thread it runs sync code in, the event loop that called it (this is
    # how async_to_sync finds its way back); the pid guards against a forked child's inherited copy.
    local = SyncToAsync.threadlocal
    loop = getattr(local, "main_event_loop", None)
    if loop is None or getattr(local, "main_event_loop_pid", None) != os.getpid() or loop.is_closed():
        return None
    return loop


def _settled(future: Future) -> None:
    _in_flight.discard(future)
    if not future.cancelled() and future.exception() is not None:
        # The message itself is stored: the socket that missed the frame catches up from history.
        logger.error("chat push failed", exc_info=future.exception())
