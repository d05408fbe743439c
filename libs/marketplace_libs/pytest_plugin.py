"""Fixtures for every service's tests (enable with ``-p marketplace_libs.pytest_plugin``)."""

from __future__ import annotations

import pytest

from . import testing, tokens


@pytest.fixture
def trust_test_key(settings):
    """Services other than auth verify tokens minted with the test key."""
    settings.MARKETPLACE_TOKEN_KEY_SOURCE = "marketplace_libs.testing.test_key_source"
    tokens.reset_verifier()
    yield
    tokens.reset_verifier()


@pytest.fixture
def api_client():
    from rest_framework.test import APIClient

    return APIClient()


@pytest.fixture
def client_for(trust_test_key):
    """``client_for(roles=("seller",))`` gives an API client holding a fresh access token."""
    from rest_framework.test import APIClient

    def make(**token_claims):
        client = APIClient()
        token = testing.mint_token(**token_claims)
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        client.token = token
        return client

    return make


@pytest.fixture
def staff_admin_client(trust_test_key, db):
    """A browser signed in to this service's admin as the auth service signs staff in: the staff token
    cookie (admin_sso), which every admin request checks again."""
    from django.test import Client

    from .admin_sso import ADMIN_TOKEN_COOKIE

    client = Client()
    client.cookies[ADMIN_TOKEN_COOKIE] = testing.mint_token(username="ops_anna", roles=("buyer", "staff"),
                                                            is_superuser=True)
    return client


@pytest.fixture(autouse=True)
def _clear_caches():
    """Each test starts with empty caches (rate-limit counters, revocations)."""
    from django.core.cache import caches

    for alias in ("default", "shared"):
        caches[alias].clear()
    yield


@pytest.fixture(autouse=True)
def _write_log_lines_within_the_test():
    """A test's log lines are written before it ends (the stdout handler batches them), so that
    pytest shows them with the test they belong to."""
    yield
    import logging

    for handler in logging.getLogger().handlers:
        handler.flush()


# --- uploaded files: the file-system default and S3 (moto's server mode) ---------------------------

def s3_test_endpoint() -> str:
    import os

    endpoint = os.environ.get("MARKETPLACE_TEST_S3_ENDPOINT")
    if not endpoint:
        pytest.fail("MARKETPLACE_TEST_S3_ENDPOINT is not set: run the tests through `manage_all.py test`, which "
                    "starts moto's S3 server, or start one (python -m devtools.moto) and point the variable at it")
    return endpoint


def s3_storage_url(endpoint: str, bucket: str) -> str:
    import boto3

    client = boto3.client("s3", endpoint_url=endpoint, aws_access_key_id="test", aws_secret_access_key="test",
                          region_name="us-east-1")
    client.create_bucket(Bucket=bucket)
    host = endpoint.split("://", 1)[1]
    return f"s3://test:test@{host}/{bucket}"


@pytest.fixture(params=["filesystem", "s3"])
def files_storage(request, settings, tmp_path):
    """The ``files`` storage, once on the file system (under tmp_path) and once on S3 (a fresh bucket
    on the moto server); yields ``(kind, storage)``."""
    import uuid

    from .files.config import storage_backend
    from .files.storage import file_storage

    service = settings.MARKETPLACE_SERVICE
    if request.param == "s3":
        url = s3_storage_url(s3_test_endpoint(), f"test-{uuid.uuid4().hex[:12]}")
        backend = storage_backend(storage_url=url, service=service, var_dir=tmp_path)
    else:
        backend = storage_backend(storage_url=None, service=service, var_dir=tmp_path)
    settings.STORAGES = {**settings.STORAGES, "files": backend}
    yield request.param, file_storage
