"""The helper that runs a real local peer for a test session: started, awaited, stopped."""

import sys

import pytest

from marketplace_libs.testing import _answers_http, free_port, local_server


def test_enters_once_the_server_answers_and_stops_it_after():
    port = free_port()
    url = f"http://127.0.0.1:{port}/no-such-page"
    with local_server([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"], url) as process:
        assert _answers_http(url)  # a 404 is an answer: the server is up
        assert process.poll() is None
    assert process.poll() is not None
    assert not _answers_http(url)


def test_a_server_that_exits_fails_at_once_with_its_exit_code():
    with pytest.raises(RuntimeError, match="exited with 3"):
        with local_server([sys.executable, "-c", "raise SystemExit(3)"], f"http://127.0.0.1:{free_port()}/"):
            pass


def test_a_server_that_never_answers_fails_after_the_timeout():
    silent = [sys.executable, "-c", "import time; time.sleep(60)"]
    with pytest.raises(RuntimeError, match="did not answer"):
        with local_server(silent, f"http://127.0.0.1:{free_port()}/", timeout=0.5):
            pass
