"""The token signing keys: only this service holds the private half.

In production the current key (and, during a rotation, the previous one) come
from ``MARKETPLACE_JWT_PRIVATE_KEY`` and ``MARKETPLACE_JWT_PREVIOUS_PRIVATE_KEY``
(PEM). In development they are generated into ``var/keys/auth/`` on first use,
and ``manage_all.py run auth rotate_signing_key`` rotates them. The JWKS lists
both public keys, so tokens signed before a rotation stay valid until they expire.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings

from marketplace_libs.config import ImproperlyConfiguredPlatform
from marketplace_libs.lazy import ProcessWide
from marketplace_libs.tokens import ALGORITHM, JWKSKeySource

KEY_BITS = 2048


@dataclass(frozen=True)
class SigningKey:
    private_pem: bytes

    @cached_property
    def private_key(self) -> rsa.RSAPrivateKey:
        return serialization.load_pem_private_key(self.private_pem, password=None)

    @cached_property
    def public_key(self) -> rsa.RSAPublicKey:
        return self.private_key.public_key()

    @cached_property
    def kid(self) -> str:
        """The RFC 7638 thumbprint of the public key, so the same key always has the same id."""
        numbers = self.public_key.public_numbers()
        canonical = json.dumps(
            {"e": _b64(numbers.e), "kty": "RSA", "n": _b64(numbers.n)}, separators=(",", ":"), sort_keys=True
        )
        return base64.urlsafe_b64encode(hashlib.sha256(canonical.encode()).digest()).rstrip(b"=").decode()[:22]

    def public_jwk(self) -> dict:
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.public_key))
        jwk.update(kid=self.kid, use="sig", alg=ALGORITHM)
        return jwk


def _b64(number: int) -> str:
    raw = number.to_bytes((number.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@dataclass(frozen=True)
class KeyRing:
    current: SigningKey
    previous: SigningKey | None = None

    def all(self) -> list[SigningKey]:
        return [key for key in (self.current, self.previous) if key is not None]

    def by_kid(self, kid: str) -> SigningKey | None:
        return next((key for key in self.all() if key.kid == kid), None)

    def jwks(self) -> dict:
        return {"keys": [key.public_jwk() for key in self.all()]}


def generate_private_pem() -> bytes:
    key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def development_key_dir() -> Path:
    return settings.MARKETPLACE_CONFIG.var_dir / "keys" / "auth"


def _load_from_environment() -> KeyRing | None:
    current = os.environ.get("MARKETPLACE_JWT_PRIVATE_KEY")
    if not current:
        if settings.MARKETPLACE_CONFIG.production:
            raise ImproperlyConfiguredPlatform(
                "MARKETPLACE_ENV=production refuses insecure defaults: MARKETPLACE_JWT_PRIVATE_KEY is not set"
            )
        return None
    previous = os.environ.get("MARKETPLACE_JWT_PREVIOUS_PRIVATE_KEY")
    return KeyRing(SigningKey(current.encode()), SigningKey(previous.encode()) if previous else None)


def _load_development_keys() -> KeyRing:
    directory = development_key_dir()
    directory.mkdir(parents=True, exist_ok=True)
    current_path = directory / "current.pem"
    if not current_path.exists():
        _write_private(current_path, generate_private_pem())
    previous_path = directory / "previous.pem"
    previous = SigningKey(previous_path.read_bytes()) if previous_path.exists() else None
    return KeyRing(SigningKey(current_path.read_bytes()), previous)


def _write_private(path: Path, pem: bytes) -> None:
    # Create with 0600 and rename, so a second process never reads half a key.
    temporary = path.with_suffix(f".{os.getpid()}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(pem)
    try:
        os.link(temporary, path)  # fails if another process created the key first: keep theirs
    except FileExistsError:
        pass
    finally:
        temporary.unlink()


def rotate_development_keys() -> KeyRing:
    directory = development_key_dir()
    _load_development_keys()  # makes sure there is a current key to retire
    (directory / "current.pem").replace(directory / "previous.pem")
    _write_private(directory / "current.pem", generate_private_pem())
    reset_key_ring()
    return load_key_ring()


_ring: ProcessWide[KeyRing] = ProcessWide(lambda: _load_from_environment() or _load_development_keys())


def load_key_ring() -> KeyRing:
    return _ring.get()


def reset_key_ring() -> None:
    _ring.reset()


def local_key_source() -> JWKSKeySource:
    """The verifier of this service reads its own JWKS without a network round trip."""
    return JWKSKeySource(lambda: load_key_ring().jwks())
