"""Fixtures of the gig service's tests: sellers with tokens from the test key, gigs made through the API."""

from __future__ import annotations

import io
import os
import re
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial

import pytest
from elastic_transport import Urllib3HttpNode
from elasticsearch.dsl.connections import connections
from PIL import Image

from marketplace_libs.testing import free_port, local_server

from catalog.documents import GigDocument


GIGS = "/api/gigs"


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    from marketplace_libs.files.config import storage_backend

    settings.MEDIA_ROOT = str(tmp_path / "legacy-media")
    settings.STORAGES = {**settings.STORAGES, "files": storage_backend(storage_url=None, service="gigs",
                                                                        var_dir=tmp_path)}


@dataclass
class Caller:
    id: str
    username: str
    client: object


@pytest.fixture
def caller(client_for, db):
    def make(roles=("buyer", "seller"), username: str | None = None) -> Caller:
        user_id = str(uuid.uuid4())
        username = username or f"seller{uuid.uuid4().hex[:8]}"
        return Caller(user_id, username, client_for(user_id=user_id, username=username, roles=roles))

    return make


def package(tier="basic", price="40.00", days=3, revisions=2, currency="USD", **extra) -> dict:
    return {"tier": tier, "title": f"{tier.title()} package", "description": f"The {tier} offer.",
            "price": price, "currency": currency, "delivery_days": days, "revisions": revisions, **extra}


def gig_body(**overrides) -> dict:
    body = {
        "title": "I will design a minimalist logo for your brand",
        "description": "A clean, modern logo with unlimited colour variants and all source files included.",
        "category": "logo-design",
        "tags": ["logo", "branding"],
        "status": "active",
        "packages": [package("basic", "40.00", 3, 2), package("premium", "180.00", 7, "unlimited")],
    }
    body.update(overrides)
    return body


def create_gig(seller: Caller, **overrides) -> dict:
    response = seller.client.post(f"{GIGS}/", gig_body(**overrides), format="json")
    assert response.status_code == 201, response.content
    return response.json()


def image_bytes(size=(400, 300), fmt="PNG") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (10, 200, 90)).save(buffer, fmt)
    return buffer.getvalue()


# --- search backends: test_search.py runs whole against each ------------------------------------

class DatabaseSearch:
    name = "database"

    def refresh(self) -> None:
        """The database sees its own writes at once."""


class PlainJsonNode(Urllib3HttpNode):
    """Sends plain ``application/json`` (and ``application/x-ndjson``) where the client asks for
    ``application/vnd.elasticsearch+json; compatible-with=9``, which osmem-server refuses.
    Tests only: production talks to Elasticsearch with the client as it is."""

    def perform_request(self, method, target, body=None, headers=None, **kwargs):
        if headers:
            headers = headers.copy()
            for name in ("accept", "content-type"):
                if name in headers:
                    headers[name] = _COMPAT_MEDIA_TYPE.sub(r"application/\1", headers[name])
        return super().perform_request(method, target, body=body, headers=headers, **kwargs)


_COMPAT_MEDIA_TYPE = re.compile(r"application/vnd\.elasticsearch\+([\w-]+);\s*compatible-with=\d+")


@pytest.fixture(scope="session")
def elasticsearch_url():
    """One osmem-server (an in-memory engine speaking the Elasticsearch REST API) for the session."""
    from osmem_server import resolve_binary

    url = f"http://127.0.0.1:{free_port()}"
    with local_server([resolve_binary(), "--addr", url.removeprefix("http://"), "--no-stdin-watch",
                       "--parent-pid", str(os.getpid())], url):
        yield url


@contextmanager
def elasticsearch_at(settings, url: str, **client_options):
    """Search on Elasticsearch at ``url`` for the duration (the client gets the test node class)."""
    saved = dict(connections._kwargs)
    settings.MARKETPLACE_ELASTICSEARCH_URL = url
    connections.configure(**{**saved, "default": {"hosts": url, "node_class": PlainJsonNode,
                                                  "request_timeout": 5, **client_options}})
    try:
        yield
    finally:
        connections.configure(**saved)


class ElasticsearchSearch:
    name = "elasticsearch"

    def refresh(self) -> None:
        """Run the reindexing that commits would have run (a test's transaction never commits:
        writes outside ``django_capture_on_commit_callbacks`` leave it pending), then make it visible."""
        from django.db import connection

        from catalog.search import elastic

        for _, callback, _ in list(connection.run_on_commit):
            if isinstance(callback, partial) and callback.func is elastic.reindex:
                callback()
        GigDocument._index.refresh()


@pytest.fixture
def elasticsearch_index(settings, elasticsearch_url):
    """A fresh, empty gig index on the session's server."""
    with elasticsearch_at(settings, elasticsearch_url):
        client = connections.get_connection()
        for index in client.indices.get(index=GigDocument._index._name, ignore_unavailable=True):
            client.indices.delete(index=index)  # the concrete ones: a rebuild --use-alias leaves an alias
        GigDocument.init()
        yield ElasticsearchSearch()


@pytest.fixture(params=["database", "elasticsearch"])
def search_backend(request, settings):
    if request.param == "elasticsearch":
        return request.getfixturevalue("elasticsearch_index")
    settings.MARKETPLACE_ELASTICSEARCH_URL = ""
    return DatabaseSearch()


# The aggregates review.created carries beside the review (these services count reviews themselves).
RATINGS = {"gig_rating": {"rating_avg": "4.00", "rating_count": 1},
           "seller_rating": {"rating_avg": "4.00", "rating_count": 1}}
