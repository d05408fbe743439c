"""Answers that tell a client what to do: every bad field at once, and what a missing role means."""

from __future__ import annotations

from .support import assert_problem, become_seller


def test_a_body_with_several_bad_fields_names_them_all_in_one_answer(platform, gateway, session):
    seller = become_seller(platform, gateway, session)
    response = gateway.post("/api/gigs/", headers=seller.auth(), json={
        "title": "short", "description": "too short", "category": "no-such-category", "colour": "green",
        "packages": [{"tier": "basic", "title": "One", "price": "1.00", "currency": "USD", "delivery_days": 3,
                      "revisions": "3"}]})
    body = assert_problem(response, 400)
    assert set(body["errors"]) == {"title", "description", "category", "colour", "packages.0.price",
                                   "packages.0.revisions"}


def test_a_missing_role_says_to_refresh_the_token(platform, gateway, session):
    opened = gateway.post("/api/users/me/seller", headers=session.auth(),
                          json={"headline": "Professional freelancer", "description": "Ten years of client work."})
    assert opened.status_code == 201
    # The token of the login predates the role, whenever the role reaches the auth service.
    refused = gateway.post("/api/gigs/", headers=session.auth(), json={})
    body = assert_problem(refused, 403)
    assert body["type"] == "urn:marketplace:problem:role_missing"
    assert "POST /api/auth/refresh" in body["detail"]


def test_a_long_url_is_answered_as_a_problem_whatever_its_length(gateway):
    # Past the services' own request-line limit: the field is named, as for any bad query parameter.
    long_query = gateway.get("/api/gigs/", params={"q": "logo " * 1000})
    assert_problem(long_query, 400, field="q")
    # Past what the gateway takes at all.
    too_long = gateway.get("/api/gigs/", params={"q": "logo " * 2000})
    assert assert_problem(too_long, 414)["type"] == "urn:marketplace:problem:uri_too_long"
