"""The waits of a socket's periodic tasks (marketplace_libs.sockets.staggered)."""

from itertools import islice

from marketplace_libs.sockets import staggered


def test_a_socket_first_waits_a_share_of_the_interval_then_the_whole_interval():
    waits = list(islice(staggered(30), 4))
    assert 0 <= waits[0] <= 30
    assert waits[1:] == [30, 30, 30]


def test_sockets_opened_together_first_wake_over_the_whole_interval():
    first_waits = [next(staggered(30)) for _ in range(1000)]
    # Every sixth of the interval has some of the thousand first wake-ups: none is when they all wake.
    assert all(any(sixth * 5 <= wait < (sixth + 1) * 5 for wait in first_waits) for sixth in range(6))
