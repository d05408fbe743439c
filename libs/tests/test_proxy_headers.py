"""What a service believes of the proxy headers: the client's address only from trusted proxies,
the host never from X-Forwarded-Host."""

import pytest
from django.test import RequestFactory

from marketplace_libs.middleware import client_address


def request_from(remote: str, real_ip: str | None = "203.0.113.9"):
    headers = {"REMOTE_ADDR": remote}
    if real_ip is not None:
        headers["HTTP_X_REAL_IP"] = real_ip
    return RequestFactory().get("/", **headers)


def test_the_local_gateway_is_trusted_by_default():
    assert client_address(request_from("127.0.0.1")) == "203.0.113.9"


@pytest.mark.parametrize("remote", ["10.1.2.3", "172.18.0.5"])
def test_a_proxy_in_a_configured_network_is_trusted(settings, remote):
    settings.MARKETPLACE_TRUSTED_PROXIES = ("10.0.0.0/8", "172.16.0.0/12")
    assert client_address(request_from(remote)) == "203.0.113.9"


def test_anyone_else_is_counted_by_their_own_address(settings):
    settings.MARKETPLACE_TRUSTED_PROXIES = ("10.0.0.0/8",)
    assert client_address(request_from("198.51.100.4")) == "198.51.100.4"
    assert client_address(request_from("127.0.0.1")) == "127.0.0.1"


def test_a_trusted_proxy_without_the_header_is_the_address(settings):
    assert client_address(request_from("127.0.0.1", real_ip=None)) == "127.0.0.1"


def test_x_forwarded_host_never_makes_links():
    # nginx passes the client's Host (checked against ALLOWED_HOSTS); a client's X-Forwarded-Host
    # would otherwise become the host of every absolute link, such as a list's "next".
    request = RequestFactory().get("/api/gigs/?page=2", HTTP_HOST="127.0.0.1:8080",
                                   HTTP_X_FORWARDED_HOST="evil.example")
    assert request.build_absolute_uri() == "http://127.0.0.1:8080/api/gigs/?page=2"
