"""TokenVerifier and JWKSKeySource: what is accepted, what is refused and why."""

import hashlib
import hmac
import json
import time
import types
import uuid

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization

from marketplace_libs import revocation, testing, tokens
from marketplace_libs.tokens import JWKSKeySource, TokenRejected, TokenVerifier


@pytest.fixture
def verifier():
    return TokenVerifier(testing.test_key_source())


def rejection(verifier, raw, **kwargs) -> TokenRejected:
    with pytest.raises(TokenRejected) as caught:
        verifier.verify(raw, **kwargs)
    return caught.value


# --- accepted -------------------------------------------------------------------------------

def test_valid_token_gives_its_claims(verifier):
    user_id = str(uuid.uuid4())
    raw = testing.mint_token(user_id=user_id, username="alice", roles=("buyer", "seller"))

    token = verifier.verify(raw)

    assert token.user_id == user_id
    assert token.username == "alice"
    assert token.roles == ("buyer", "seller")
    assert token.has_role("seller") and not token.has_role("staff")
    assert token.claims["token_type"] == "access"
    assert token.expires_at - token.issued_at == 900


def test_expiry_within_leeway_is_still_accepted(verifier):
    raw = testing.mint_token(issued_at=time.time() - 902, lifetime=900)  # expired 2 s ago, leeway 5 s
    assert verifier.verify(raw).user_id


# --- refused --------------------------------------------------------------------------------

@pytest.mark.parametrize("raw", [None, ""])
def test_missing_token(verifier, raw):
    assert rejection(verifier, raw).code == "token_missing"


@pytest.mark.parametrize("raw", ["not-a-jwt", "a.b.c", "....", "Bearer x"])
def test_malformed_token(verifier, raw):
    assert rejection(verifier, raw).code == "token_invalid"


def test_expired_token(verifier):
    raw = testing.mint_token(issued_at=time.time() - 3600, lifetime=900)
    assert rejection(verifier, raw).code == "token_expired"


def test_signed_by_another_key_with_the_same_kid(verifier):
    raw = testing.mint_token(key=testing.test_private_key("attacker"), kid=testing.TEST_KID)
    error = rejection(verifier, raw)
    assert error.code == "token_invalid"
    assert "invalid" in error.detail


def test_unknown_kid(verifier):
    raw = testing.mint_token(kid="some-other-key")
    error = rejection(verifier, raw)
    assert error.code == "token_invalid"
    assert "unknown key" in error.detail


def test_token_without_kid_is_refused(verifier):
    now = int(time.time())
    raw = jwt.encode({"token_type": "access", "sub": "u", "jti": "j", "iat": now, "exp": now + 60},
                     testing.test_private_key(), algorithm="RS256")
    assert rejection(verifier, raw).code == "token_invalid"


def test_alg_none_is_refused(verifier):
    error = rejection(verifier, testing.unsigned_token())
    assert error.code == "token_invalid"
    assert "algorithm" in error.detail


def test_hs256_signed_with_the_public_key_is_refused(verifier):
    """The classic RS256/HS256 confusion: the public key (which anyone has) used as an HMAC secret."""
    public_pem = testing.test_private_key().public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    now = int(time.time())
    payload = {"token_type": "access", "sub": str(uuid.uuid4()), "jti": uuid.uuid4().hex,
               "iat": now, "exp": now + 900, "roles": ["staff"]}
    # PyJWT itself refuses a PEM as an HMAC secret, so sign by hand as an attacker would.
    header_b64 = jwt.utils.base64url_encode(b'{"alg":"HS256","typ":"JWT","kid":"test-key"}')
    payload_b64 = jwt.utils.base64url_encode(json.dumps(payload).encode())
    signing_input = header_b64 + b"." + payload_b64
    signature = jwt.utils.base64url_encode(hmac.new(public_pem, signing_input, hashlib.sha256).digest())
    raw = (signing_input + b"." + signature).decode()

    error = rejection(verifier, raw)
    assert error.code == "token_invalid"
    assert "algorithm" in error.detail


def test_refresh_token_is_not_an_access_token(verifier):
    raw = testing.mint_token(token_type="refresh")
    error = rejection(verifier, raw)
    assert error.code == "token_invalid"
    assert "access" in error.detail
    # ...while a verifier asked for refresh tokens takes it.
    assert verifier.verify(raw, token_type="refresh").claims["token_type"] == "refresh"


def test_token_without_a_type_is_refused(verifier):
    now = int(time.time())
    raw = jwt.encode({"sub": "u", "jti": "j", "iat": now, "exp": now + 60}, testing.test_private_key(),
                     algorithm="RS256", headers={"kid": testing.TEST_KID})
    assert rejection(verifier, raw).code == "token_invalid"


@pytest.mark.parametrize("missing", ["exp", "iat", "sub", "jti"])
def test_missing_required_claim(verifier, missing):
    now = int(time.time())
    payload = {"token_type": "access", "sub": "u", "jti": "j", "iat": now, "exp": now + 60}
    del payload[missing]
    raw = jwt.encode(payload, testing.test_private_key(), algorithm="RS256", headers={"kid": testing.TEST_KID})
    assert rejection(verifier, raw).code == "token_invalid"


@pytest.mark.parametrize("changes", [
    {"roles": ["buyer", "seller", "staff"]},
    {"sub": "someone-else"},
    {"exp": int(time.time()) + 10 * 365 * 86400},
])
def test_tampered_payload_is_refused(verifier, changes):
    raw = testing.mint_token(roles=("buyer",))
    assert verifier.verify(raw)  # the original is fine
    assert rejection(verifier, testing.with_claims_of(raw, **changes)).code == "token_invalid"


# --- revocation ------------------------------------------------------------------------------

def test_revoked_jti_is_refused(verifier):
    raw = testing.mint_token()
    other = testing.mint_token()
    token = verifier.verify(raw)

    revocation.revoke_token(token.jti, token.expires_at)

    assert rejection(verifier, raw).code == "token_revoked"
    assert verifier.verify(other)  # only that one token


def test_revocation_of_an_expired_token_is_not_stored():
    revocation.revoke_token("old-jti", time.time() - 10)
    assert not revocation.is_revoked(jti="old-jti", user_id="u", issued_at=time.time())


def test_a_token_within_the_leeway_stays_revoked(verifier):
    # Expired 2 s ago: verifiers still accept it for LEEWAY_SECONDS, so its revocation must last as long.
    raw = testing.mint_token(issued_at=time.time() - 902, lifetime=900)
    token = verifier.verify(raw)

    revocation.revoke_token(token.jti, token.expires_at)

    assert rejection(verifier, raw).code == "token_revoked"


def test_revocation_entries_outlive_the_leeway():
    # What the cache is asked to keep: the remaining lifetime plus the leeway (and a second).
    from unittest import mock

    cache = revocation._cache()
    with mock.patch.object(cache, "set", wraps=cache.set) as stored:
        revocation.revoke_tokens_of_user("someone", issued_before=time.time(), lifetime_seconds=900)
        revocation.revoke_family("a-family", lifetime_seconds=900)
    assert [call.kwargs["timeout"] for call in stored.call_args_list] == [900 + tokens.LEEWAY_SECONDS + 1] * 2


def test_a_revoked_family_refuses_its_tokens_only(verifier):
    mine = testing.mint_token(fam="family-1")
    other_session = testing.mint_token(fam="family-2")

    revocation.revoke_family("family-1", lifetime_seconds=900)

    assert rejection(verifier, mine).code == "token_revoked"
    assert verifier.verify(other_session).family == "family-2"


def test_user_wide_revocation_refuses_older_tokens_only(verifier):
    user_id = str(uuid.uuid4())
    now = time.time()
    before = testing.mint_token(user_id=user_id, issued_at=now - 60)
    someone_else = testing.mint_token(issued_at=now - 60)

    revocation.revoke_tokens_of_user(user_id, issued_before=now - 30, lifetime_seconds=900)
    after = testing.mint_token(user_id=user_id, issued_at=now)

    assert rejection(verifier, before).code == "token_revoked"
    assert verifier.verify(after).user_id == user_id
    assert verifier.verify(someone_else)


def test_revoked_among_finds_each_way_of_revoking_in_one_read_of_the_store(verifier):
    from unittest import mock

    now = time.time()
    user_id, family = str(uuid.uuid4()), uuid.uuid4().hex
    signed_out, of_the_session, older_than_a_password_change, kept, newer = (verifier.verify(raw) for raw in (
        testing.mint_token(), testing.mint_token(fam=family), testing.mint_token(user_id=user_id, issued_at=now - 60),
        testing.mint_token(fam=uuid.uuid4().hex), testing.mint_token(user_id=user_id, issued_at=now)))
    revocation.revoke_token(signed_out.jti, signed_out.expires_at)
    revocation.revoke_family(family, lifetime_seconds=900)
    revocation.revoke_tokens_of_user(user_id, issued_before=now - 30, lifetime_seconds=900)

    cache = revocation._cache()
    with mock.patch.object(cache, "get_many", wraps=cache.get_many) as read:
        revoked = revocation.revoked_among([signed_out, of_the_session, older_than_a_password_change, kept, newer])

    assert revoked == {signed_out.jti, of_the_session.jti, older_than_a_password_change.jti}
    assert read.call_count == 1
    assert revocation.revoked_among([]) == set()


def test_revocation_check_can_be_turned_off():
    raw = testing.mint_token()
    token = TokenVerifier(testing.test_key_source()).verify(raw)
    revocation.revoke_token(token.jti, token.expires_at)
    assert TokenVerifier(testing.test_key_source(), check_revocation=False).verify(raw).jti == token.jti


# --- the process's verifier -------------------------------------------------------------------

def test_get_verifier_uses_the_configured_key_source(trust_test_key):
    verifier = tokens.get_verifier()
    assert verifier is tokens.get_verifier()
    assert verifier.verify(testing.mint_token(username="bob")).username == "bob"
    tokens.reset_verifier()
    assert tokens.get_verifier() is not verifier


# --- JWKSKeySource --------------------------------------------------------------------------

class CountingFetch:
    """A JWKS endpoint stand-in that counts calls and can be told to fail or serve other keys."""

    def __init__(self, document):
        self.document = document
        self.calls = 0
        self.error = None

    def __call__(self):
        self.calls += 1
        if self.error is not None:
            raise self.error
        return self.document


@pytest.fixture
def clock(monkeypatch):
    """A controllable monotonic clock for the key source."""
    state = types.SimpleNamespace(now=1000.0)
    monkeypatch.setattr(tokens, "time", types.SimpleNamespace(monotonic=lambda: state.now))
    return state


def test_known_kid_is_served_from_memory(clock):
    fetch = CountingFetch(testing.test_jwks())
    source = JWKSKeySource(fetch)
    assert source.key_for(testing.TEST_KID) is not None
    for _ in range(5):
        assert source.key_for(testing.TEST_KID) is not None
    assert fetch.calls == 1


def test_unknown_kid_refetch_is_rate_limited(clock):
    fetch = CountingFetch(testing.test_jwks())
    source = JWKSKeySource(fetch)
    assert source.key_for(testing.TEST_KID) is not None
    assert fetch.calls == 1

    for _ in range(20):
        assert source.key_for("unknown-kid") is None
    assert fetch.calls == 1  # the first fetch was just now: no refetch yet

    clock.now += JWKSKeySource.MIN_REFETCH_SECONDS + 1
    for _ in range(20):
        assert source.key_for("unknown-kid") is None
    assert fetch.calls == 2  # one refetch per interval, however many requests


def test_rotation_reaches_the_verifier_through_a_refetch(clock):
    new_key = testing.test_private_key("rotated")
    fetch = CountingFetch(testing.test_jwks())
    source = JWKSKeySource(fetch)
    verifier = TokenVerifier(source)
    old_token = testing.mint_token()
    assert verifier.verify(old_token)

    both = {"keys": testing.test_jwks()["keys"] + testing.test_jwks(new_key, kid="rotated")["keys"]}
    fetch.document = both
    clock.now += JWKSKeySource.MIN_REFETCH_SECONDS + 1
    new_token = testing.mint_token(key=new_key, kid="rotated")

    assert verifier.verify(new_token)
    assert verifier.verify(old_token)
    assert fetch.calls == 2


@pytest.mark.parametrize("error", [
    httpx.ConnectError("connection refused"),
    httpx.HTTPStatusError("503", request=httpx.Request("GET", "http://auth/jwks"),
                          response=httpx.Response(503)),
    ValueError("not JSON"),
])
def test_failed_fetch_keeps_the_old_keys(clock, error):
    fetch = CountingFetch(testing.test_jwks())
    source = JWKSKeySource(fetch)
    verifier = TokenVerifier(source)
    raw = testing.mint_token()
    assert verifier.verify(raw)

    fetch.error = error
    # An unknown kid forces a refetch, which fails...
    clock.now += JWKSKeySource.MIN_REFETCH_SECONDS + 1
    assert source.key_for("unknown-kid") is None
    assert fetch.calls == 2
    # ...and a stale cache tries again, which fails too: the known key is still used.
    clock.now += JWKSKeySource.REFRESH_SECONDS + 1
    assert verifier.verify(raw)
    assert fetch.calls == 3
    # Not a fetch per request while the endpoint is down.
    for _ in range(10):
        assert verifier.verify(raw)
    assert fetch.calls == 3


def test_first_fetch_failing_refuses_tokens_then_recovers(clock):
    fetch = CountingFetch(testing.test_jwks())
    fetch.error = httpx.ConnectError("auth is down")
    verifier = TokenVerifier(JWKSKeySource(fetch))
    raw = testing.mint_token()

    assert rejection(verifier, raw).code == "token_invalid"

    fetch.error = None
    clock.now += JWKSKeySource.MIN_REFETCH_SECONDS + 1
    assert verifier.verify(raw)


def test_stale_keys_are_refreshed_and_dropped_keys_forgotten(clock):
    fetch = CountingFetch(testing.test_jwks())
    source = JWKSKeySource(fetch)
    assert source.key_for(testing.TEST_KID) is not None

    fetch.document = testing.test_jwks(testing.test_private_key("next"), kid="next")
    clock.now += JWKSKeySource.REFRESH_SECONDS + 1
    assert source.key_for(testing.TEST_KID) is None
    assert source.key_for("next") is not None
    assert fetch.calls == 2


def test_keys_from_jwks_keeps_only_rsa_keys_with_a_kid():
    rsa_jwk = testing.test_jwks()["keys"][0]
    no_kid = {k: v for k, v in rsa_jwk.items() if k != "kid"}
    document = {"keys": [rsa_jwk, no_kid, {"kty": "oct", "kid": "hmac", "k": "c2VjcmV0"}]}
    assert list(tokens.keys_from_jwks(document)) == [testing.TEST_KID]
