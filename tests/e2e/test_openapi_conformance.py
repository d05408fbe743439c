"""Every service's OpenAPI schema against the running platform, through the gateway, with schemathesis.

For each operation schemathesis sends its examples and a bounded number of generated requests, valid
and invalid, with a real seller's access token: no answer may be a 5xx, every status must be
documented, and every body must match its documented schema and content type.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance, response_headers_conformance, response_schema_conformance, status_code_conformance,
)

from .support import User, become_seller

SERVICES = ("auth", "users", "gigs", "orders", "reviews", "chat", "notifications")
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance]
# Per operation (about 45 of them): enough to reach every field's edges; the seven take about 1.5 minutes.
EXAMPLES_PER_OPERATION = 25


@pytest.fixture(scope="module")
def fuzzing_seller(platform) -> User:
    """One seller for every generated call: the operations that need the role are tried for real."""
    import httpx

    with httpx.Client(base_url=platform.base_url, timeout=10) as client:
        return become_seller(platform, client, platform.log_in(client, platform.register(client)))


def _schema_fixture(service: str):
    @pytest.fixture(name=f"{service}_schema")
    def schema(platform):
        return schemathesis.openapi.from_url(f"{platform.base_url}/api/{service}/schema/?format=json")

    return schema


def _conformance_test(service: str):
    @schemathesis.pytest.from_fixture(f"{service}_schema").parametrize()
    @settings(max_examples=EXAMPLES_PER_OPERATION, phases=[Phase.explicit, Phase.generate], deadline=None,
              suppress_health_check=list(HealthCheck), derandomize=True, database=None)
    def test(case, platform, fuzzing_seller):
        case.call_and_validate(base_url=platform.base_url, headers=fuzzing_seller.auth(), checks=CHECKS, timeout=15)

    test.__name__ = f"test_{service}_answers_as_its_schema_says"
    return test


for _service in SERVICES:
    globals()[f"{_service}_schema"] = _schema_fixture(_service)
    globals()[f"test_{_service}_answers_as_its_schema_says"] = _conformance_test(_service)
