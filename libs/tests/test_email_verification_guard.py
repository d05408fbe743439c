"""require_verified_email: the one guard every service puts on orders, checkout, gigs and chat."""

import json

import pytest
from asgiref.sync import async_to_sync
from django.test import Client

from marketplace_libs import testing
from marketplace_libs.authentication import EmailUnverified, TokenUser, require_verified_email
from marketplace_libs.tokens import TokenVerifier

from .test_problems import assert_problem

API = "/api/libstest/verified-only"


@pytest.fixture
def client():
    return Client(raise_request_exception=False)


def bearer(token: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def test_a_token_that_says_email_verified_is_let_through(client, trust_test_key):
    response = client.post(API, **bearer(testing.mint_token(email_verified=True)))
    assert response.status_code == 200 and response.json() == {"ok": True}


@pytest.mark.parametrize("claims", [{"email_verified": False}, {"email_verified": "true"}, {"email_verified": 1}],
                         ids=["false", "a string", "a number"])
def test_anything_but_true_is_refused_with_email_unverified(client, trust_test_key, claims):
    response = client.post(API, **bearer(testing.mint_token(**claims)))
    body = assert_problem(response, 403, "email_unverified")
    assert "/api/auth/email/resend" in body["detail"] and "/api/auth/refresh" in body["detail"]
    assert "WWW-Authenticate" not in response  # the token is good; it is the account that is not ready


def test_a_token_without_the_claim_is_unverified(client, trust_test_key):
    # Tokens issued before verification existed: refused until a refresh brings the claim.
    claimless = _token_without_claim("email_verified")
    assert "email_verified" not in TokenVerifier(testing.test_key_source()).verify(claimless).claims
    assert_problem(client.post(API, **bearer(claimless)), 403, "email_unverified")


def _token_without_claim(name: str) -> str:
    import time
    import uuid

    import jwt

    now = int(time.time())
    payload = {"token_type": "access", "sub": str(uuid.uuid4()), "username": "old", "roles": ["buyer"],
               "jti": uuid.uuid4().hex, "iat": now, "exp": now + 900}
    assert name not in payload
    return jwt.encode(payload, testing.test_private_key(), algorithm="RS256", headers={"kid": testing.TEST_KID})


def test_reading_stays_open_to_the_unverified(client, trust_test_key):
    response = client.get(API, **bearer(testing.mint_token(email_verified=False)))
    assert response.status_code == 200 and response.json() == {"email_verified": False}


def test_the_setting_turned_off_lets_everyone_through(client, trust_test_key, settings):
    settings.MARKETPLACE_REQUIRE_VERIFIED_EMAIL = False
    assert client.post(API, **bearer(testing.mint_token(email_verified=False))).status_code == 200


def test_the_setting_is_on_by_default(settings):
    assert settings.MARKETPLACE_REQUIRE_VERIFIED_EMAIL is True


def test_the_guard_raises_a_domain_error_services_and_sockets_can_render():
    unverified = TokenUser(TokenVerifier(testing.test_key_source()).verify(testing.mint_token(email_verified=False)))
    with pytest.raises(EmailUnverified) as refusal:
        require_verified_email(unverified)
    assert refusal.value.status == 403 and refusal.value.code == "email_unverified"
    verified = TokenUser(TokenVerifier(testing.test_key_source()).verify(testing.mint_token()))
    assert require_verified_email(verified) is None


def test_a_socket_frame_refused_by_the_guard_gets_an_error_frame_and_the_socket_stays_open():
    from marketplace_libs.sockets import JsonFrameConsumer

    sent = []

    class Consumer(JsonFrameConsumer):
        async def frame_shout(self, frame):
            require_verified_email(self.user)
            sent.append({"type": "shouted"})

        async def send_frame(self, frame):
            sent.append(frame)

    consumer = Consumer()
    consumer.user = TokenUser(TokenVerifier(testing.test_key_source()).verify(testing.mint_token(email_verified=False)))
    async_to_sync(consumer.receive)(text_data=json.dumps({"type": "shout"}))
    assert sent == [{"type": "error", "code": "email_unverified", "detail": EmailUnverified.default_detail}]
    consumer.user = TokenUser(TokenVerifier(testing.test_key_source()).verify(testing.mint_token()))
    async_to_sync(consumer.receive)(text_data=json.dumps({"type": "shout"}))
    assert sent[-1] == {"type": "shouted"}


def test_a_verification_link_is_redacted_in_logs_and_admins():
    from marketplace_libs.logging_setup import redact

    shown = redact({"verify_url": "http://127.0.0.1:8080/verify-email?token=q3Xv0bT9Jk2mWc8rLs5NpYd7Ge1Hf4Ua6Zi0Oe3Rt2w"})
    assert "q3Xv0bT9" not in str(shown) and "verify-email?token=" in shown["verify_url"]
