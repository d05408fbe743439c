"""Security findings of issue 18, checked through the gateway on the running platform."""

from __future__ import annotations

from .support import become_seller, wait_for

GIG = {"description": "A clear brief, clean source files and two rounds of changes with every order.",
       "category": "logo-design", "tags": ["logo"], "status": "active",
       "packages": [{"tier": "basic", "title": "Basic offer", "description": "One concept.", "price": "25.00",
                     "currency": "USD", "delivery_days": 3, "revisions": 1}]}


def test_x_forwarded_host_does_not_reach_the_links(platform, gateway):
    seller = become_seller(platform, gateway, platform.log_in(gateway, platform.register(gateway)))
    for title in ("I will draw a crisp vector logo", "I will redraw your logo as vector art"):
        created = gateway.post("/api/gigs/", headers=seller.auth(), json={**GIG, "title": title})
        assert created.status_code == 201, created.text

    def a_page_with_next():
        body = gateway.get("/api/gigs/", params={"page_size": 1},
                           headers={"X-Forwarded-Host": "evil.example"}).json()
        return body if body.get("next") else None

    body = wait_for(a_page_with_next, what="a list with a next link")
    assert body["next"].startswith(f"{platform.base_url}/api/gigs/"), body["next"]
