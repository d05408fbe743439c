"""Bad tokens are refused at the gateway, and again by the service itself (defence in depth)."""

from __future__ import annotations

import time

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization

from marketplace_libs import testing

from .support import assert_problem


def _real_signing_key(platform):
    """The auth service's own current key (development keys live under the e2e var/ folder)."""
    pem = (platform.var_dir / "keys" / "auth" / "current.pem").read_bytes()
    return serialization.load_pem_private_key(pem, password=None)


def _real_kid(token: str) -> str:
    return jwt.get_unverified_header(token)["kid"]


def _forgeries(platform, session) -> dict[str, str]:
    kid = _real_kid(session.access)
    claims = jwt.decode(session.access, options={"verify_signature": False})
    real_key = _real_signing_key(platform)
    public_pem = real_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return {
        "expired": testing.mint_token(user_id=session.id, username=session.username, key=real_key, kid=kid,
                                      issued_at=time.time() - 3600, lifetime=600),
        "refresh token used as access": session.refresh,
        "signed by another key under the real kid": testing.mint_token(user_id=session.id, kid=kid,
                                                                       key=testing.test_private_key("intruder")),
        "signed by an unknown key": testing.mint_token(user_id=session.id, kid="someone-elses-key",
                                                       key=testing.test_private_key("intruder")),
        "alg none": testing.unsigned_token(sub=session.id),
        "HS256 with the public key as secret": _hs256_forgery(claims, public_pem, kid),
        "tampered claims": testing.with_claims_of(session.access, roles=["buyer", "seller", "staff"]),
        "not a jwt": "not-a-token",
    }


def _hs256_forgery(claims: dict, secret: bytes, kid: str) -> str:
    # PyJWT refuses to use a PEM as an HMAC secret, which is the point: build the token by hand.
    import base64
    import hashlib
    import hmac
    import json

    def b64(raw: bytes) -> str:
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    signing_input = f"{b64(json.dumps({'alg': 'HS256', 'typ': 'JWT', 'kid': kid}).encode())}." \
                    f"{b64(json.dumps({**claims, 'roles': ['buyer', 'staff']}).encode())}"
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(signature)}"


CASES = ["expired", "refresh token used as access", "signed by another key under the real kid",
         "signed by an unknown key", "alg none", "HS256 with the public key as secret", "tampered claims",
         "not a jwt"]


@pytest.mark.parametrize("case", CASES)
def test_the_gateway_refuses(platform, gateway, session, case):
    token = _forgeries(platform, session)[case]
    body = assert_problem(gateway.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"}), 401)
    assert body["code"] in {"token_invalid", "token_expired", "token_missing"}


@pytest.mark.parametrize("case", CASES)
def test_the_service_refuses_too(platform, session, case):
    token = _forgeries(platform, session)[case]
    direct = httpx.get(f"{platform.service_url('auth')}/api/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert_problem(direct, 401)
    assert direct.headers["www-authenticate"].startswith("Bearer")


def test_expired_token_is_named_as_expired(platform, gateway, session):
    token = _forgeries(platform, session)["expired"]
    body = assert_problem(gateway.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"}), 401)
    assert body["code"] == "token_expired" and "expired" in body["detail"]


def test_a_valid_token_signed_with_the_real_key_passes(platform, gateway, session):
    """The forgeries fail for their flaw, not because minted tokens never work."""
    token = testing.mint_token(user_id=session.id, username=session.username, key=_real_signing_key(platform),
                               kid=_real_kid(session.access))
    assert gateway.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_a_revoked_token_is_refused_by_the_service_even_while_the_gateway_remembers_it(platform, gateway, session):
    assert gateway.get("/api/auth/me", headers=session.auth()).status_code == 200  # verdict now cached at the edge
    gateway.post("/api/auth/logout", json={"refresh": session.refresh}, headers=session.auth())
    assert_problem(gateway.get("/api/auth/me", headers=session.auth()), 401)
    direct = httpx.get(f"{platform.service_url('auth')}/api/auth/me", headers=session.auth())
    assert assert_problem(direct, 401)["type"].endswith("token_revoked")


@pytest.mark.parametrize("scheme", ["Basic dXNlcjpwYXNz", "Token abc", "Bearer"])
def test_other_authorization_schemes_are_refused(gateway, scheme):
    assert_problem(gateway.get("/api/auth/me", headers={"Authorization": scheme}), 401)


def test_a_client_cannot_claim_an_identity_with_headers(gateway):
    response = gateway.get("/api/auth/me", headers={"X-User-Id": "00000000-0000-0000-0000-000000000001",
                                                   "X-User-Roles": "staff"})
    assert_problem(response, 401)
