"""/files/<token>: the gateway checks a signed link and hands the file to nginx (X-Accel-Redirect)."""

import time

from marketplace_libs.files.links import gateway_link


def _link(**overrides) -> str:
    values = {"service": "orders", "name": "orders/4f1c/5e0a9d", "content_type": "image/png",
              "disposition": 'inline; filename="logo.png"', "lifetime": 300, **overrides}
    return gateway_link(**values)


def test_a_valid_link_hands_the_file_to_nginx_with_its_headers(client):
    response = client.get(_link())
    assert response.status_code == 200
    assert response["X-Accel-Redirect"] == "/_stored/orders/orders/4f1c/5e0a9d"
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"] == 'inline; filename="logo.png"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"].startswith("private, max-age=")
    assert response.content == b""


def test_a_tampered_link_is_404_and_names_nothing(client):
    link = _link()
    tampered = link[:-4] + ("AAAA" if not link.endswith("AAAA") else "BBBB")
    response = client.get(tampered)
    assert response.status_code == 404
    assert "X-Accel-Redirect" not in response
    assert response["Content-Type"] == "application/problem+json"


def test_an_expired_link_is_403(client):
    response = client.get(_link(now=time.time() - 301))
    assert response.status_code == 403
    assert response.json()["type"] == "urn:marketplace:problem:link_expired"
    assert "X-Accel-Redirect" not in response


def test_a_link_signed_with_another_secret_is_404(client, settings):
    link = _link()
    settings.SECRET_KEY = "another-secret-entirely-" + "x" * 20
    assert client.get(link).status_code == 404


def test_only_get_and_head(client):
    assert client.post(_link()).status_code == 405
