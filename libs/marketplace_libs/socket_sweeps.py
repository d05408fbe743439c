"""Upkeep of a process's open sockets: each one once per interval, those due handled together.

A socket that looked after itself (its presence renewed, its token's revocation looked up, every
30 s) cost its process a thread hop and a Redis round trip per socket and interval; all of them in
one call every interval is as bad the other way: one call for a thousand sockets holds the
interpreter long enough to stall every socket of the process (docs/performance.md, issue 25;
decision 87). A sweep wakes TICKS_PER_INTERVAL times per interval and awaits ``work(sockets)``
once for the sockets that are due: each is first due at a random point of its first interval (so
that sockets opened together, as after a deploy, spread), then every interval after it was handled.
It runs while it has sockets and ends with the last one.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import structlog

log = structlog.get_logger("marketplace.sockets")

TICKS_PER_INTERVAL = 30


@dataclass
class _LoopSockets:
    sockets: set = field(default_factory=set)
    due: list = field(default_factory=list)  # a heap of (when, order, socket); left sockets are skipped
    rounds: asyncio.Task | None = None


class Sweep:
    def __init__(self, name: str, *, interval: Callable[[], float], work: Callable[[list], Awaitable[None]]):
        self.name = name
        self.interval = interval  # read at every tick, so that a changed setting applies
        self.work = work
        self._loops: dict[asyncio.AbstractEventLoop, _LoopSockets] = {}
        self._order = itertools.count()

    def join(self, socket) -> None:
        loop = asyncio.get_running_loop()
        state = self._loops.setdefault(loop, _LoopSockets())
        state.sockets.add(socket)
        heapq.heappush(state.due, (time.monotonic() + random.uniform(0, self.interval()), next(self._order), socket))
        if state.rounds is None:
            state.rounds = loop.create_task(self._run(loop, state))

    def leave(self, socket) -> None:
        """Idempotent: a socket closed by the sweep leaves again when it disconnects."""
        loop = asyncio.get_running_loop()
        state = self._loops.get(loop)
        if state is None:
            return
        state.sockets.discard(socket)
        if not state.sockets:
            del self._loops[loop]
            if state.rounds is not asyncio.current_task():
                state.rounds.cancel()

    def __len__(self) -> int:
        """The sockets of the running loop in this sweep."""
        state = self._loops.get(asyncio.get_running_loop())
        return 0 if state is None else len(state.sockets)

    async def _run(self, loop: asyncio.AbstractEventLoop, state: _LoopSockets) -> None:
        # Ends once its loop's last socket has left; leaving from within a call (the work closing a
        # socket) cannot cancel the task that is running it.
        while self._loops.get(loop) is state:
            await asyncio.sleep(self.interval() / TICKS_PER_INTERVAL)
            sockets = self._take_due(state)
            if not sockets:
                continue
            try:
                await self.work(sockets)
            except Exception:  # noqa: BLE001 - the next interval tries again; one failure must not end the upkeep
                log.exception("socket_sweep_failed", sweep=self.name, sockets=len(sockets))

    def _take_due(self, state: _LoopSockets) -> list:
        """The sockets due now, each due again an interval from now."""
        now = time.monotonic()
        taken = []
        while state.due and state.due[0][0] <= now:
            _, _, socket = heapq.heappop(state.due)
            if socket in state.sockets:
                taken.append(socket)
        next_time = now + self.interval()
        for socket in taken:
            heapq.heappush(state.due, (next_time, next(self._order), socket))
        return taken
