"""The gateway's own rate limit. Runs last (the file name): it uses up the per-client budget."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx

from .support import assert_problem


def test_too_many_requests_from_one_client_get_429_problem_with_retry_after(platform):
    def call(_):
        with httpx.Client(base_url=platform.base_url, timeout=10) as client:
            return [client.get("/no-such-page") for _ in range(40)]

    with ThreadPoolExecutor(max_workers=16) as pool:
        responses = [response for batch in pool.map(call, range(32)) for response in batch]
    limited = [response for response in responses if response.status_code == 429]
    assert limited, "1,280 requests in a burst should exceed 200 r/s with a burst of 400"
    assert_problem(limited[0], 429)
    assert int(limited[0].headers["retry-after"]) >= 1
    assert all(response.status_code in (404, 429) for response in responses)
