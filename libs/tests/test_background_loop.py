import asyncio
import threading

import pytest

from marketplace_libs import background_loop


async def _where() -> tuple[asyncio.AbstractEventLoop, str]:
    return asyncio.get_running_loop(), threading.current_thread().name


async def _fail():
    raise LookupError("from the coroutine")


def test_it_returns_what_the_coroutine_returns_from_a_loop_that_outlives_the_call():
    first_loop, thread = background_loop.run(_where())
    second_loop, _ = background_loop.run(_where())

    assert second_loop is first_loop and first_loop.is_running()
    assert thread == "background-loop" != threading.current_thread().name


def test_it_raises_what_the_coroutine_raises_and_the_loop_goes_on():
    with pytest.raises(LookupError, match="from the coroutine"):
        background_loop.run(_fail())

    assert background_loop.run(asyncio.sleep(0, result="still here")) == "still here"


def test_a_forked_child_gets_a_loop_of_its_own(monkeypatch):
    parents_loop, _ = background_loop.run(_where())
    monkeypatch.setattr(background_loop.os, "getpid", lambda: -1)

    childs_loop, _ = background_loop.run(_where())

    assert childs_loop is not parents_loop and childs_loop.is_running()
