"""A process's sockets looked after together, each once per interval (marketplace_libs.socket_sweeps)."""

import asyncio
import time
from collections import defaultdict

from marketplace_libs.socket_sweeps import TICKS_PER_INTERVAL, Sweep

INTERVAL = 0.3
PATIENCE = 10.0


class Calls:
    """When each call of the work came and which sockets it was given; optionally failing the first."""

    def __init__(self, fail_first: bool = False):
        self.given: list[list] = []
        self.handled_at: dict[object, list[float]] = defaultdict(list)
        self.fail_first = fail_first
        self.changed = asyncio.Event()

    async def work(self, sockets: list) -> None:
        self.given.append(list(sockets))
        for socket in sockets:
            self.handled_at[socket].append(time.monotonic())
        self.changed.set()
        if self.fail_first and len(self.given) == 1:
            raise ConnectionError("Redis is away")

    async def until(self, done) -> None:
        while not done():
            self.changed.clear()
            await asyncio.wait_for(self.changed.wait(), PATIENCE)


def sweep_calling(calls: Calls) -> Sweep:
    return Sweep("test", interval=lambda: INTERVAL, work=calls.work)


def test_sockets_opened_together_are_handled_a_few_at_a_time_each_once_per_interval():
    sockets = list(range(100))

    async def scenario():
        calls = Calls()
        sweep = sweep_calling(calls)
        for socket in sockets:
            sweep.join(socket)
        await calls.until(lambda: all(len(calls.handled_at[socket]) >= 2 for socket in sockets))
        for socket in sockets:
            sweep.leave(socket)
        return calls

    calls = asyncio.run(scenario())
    first_calls = {next(index for index, call in enumerate(calls.given) if socket in call) for socket in sockets}
    # Neither a call per socket nor one call for all: a few at each tick of the first interval.
    assert 5 <= len(first_calls) <= TICKS_PER_INTERVAL + 2
    assert max(len(call) for call in calls.given) < len(sockets) / 2
    for socket in sockets:
        times = calls.handled_at[socket]
        assert all(later - earlier >= INTERVAL - 1e-3 for earlier, later in zip(times, times[1:]))


def test_a_socket_that_left_is_handled_no_more():
    async def scenario():
        calls = Calls()
        sweep = sweep_calling(calls)
        sweep.join("stays")
        sweep.join("leaves")
        sweep.leave("leaves")
        await calls.until(lambda: len(calls.handled_at["stays"]) >= 2)
        sweep.leave("stays")
        return calls

    calls = asyncio.run(scenario())
    assert "leaves" not in calls.handled_at


def test_the_sweep_ends_with_the_last_socket_and_starts_again_with_the_next():
    async def scenario():
        calls = Calls()
        sweep = sweep_calling(calls)
        sweep.join("a")
        sweep.leave("a")
        sweep.leave("a")  # a socket the sweep closed leaves again when it disconnects
        await asyncio.sleep(2 * INTERVAL)
        after_leaving = list(calls.given)
        sweep.join("b")
        await calls.until(lambda: calls.given)
        sweep.leave("b")
        return after_leaving, calls.given, len(sweep)

    after_leaving, given, left = asyncio.run(scenario())
    assert after_leaving == []
    assert given[0] == ["b"]
    assert left == 0


def test_the_sweep_ends_when_its_own_call_lets_the_last_socket_go():
    async def scenario():
        sweep = None

        async def close_them(sockets):
            for socket in sockets:
                sweep.leave(socket)  # as a socket closed for a revoked token does

        sweep = Sweep("test", interval=lambda: INTERVAL, work=close_them)
        sweep.join("a")
        [rounds] = [state.rounds for state in sweep._loops.values()]
        await asyncio.wait_for(rounds, PATIENCE)
        return rounds.done()

    assert asyncio.run(scenario())


def test_a_failed_call_does_not_end_the_upkeep():
    async def scenario():
        calls = Calls(fail_first=True)
        sweep = sweep_calling(calls)
        sweep.join("a")
        await calls.until(lambda: len(calls.given) >= 3)
        sweep.leave("a")
        return calls.given

    assert asyncio.run(scenario())[:3] == [["a"]] * 3
