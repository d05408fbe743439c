"""A bearer JWT read with PyJWT against the auth service's published keys (fetched once)."""

from functools import cache

import jwt
from django.conf import settings
from rest_framework import authentication, exceptions


@cache
def _keys() -> jwt.PyJWKClient:
    return jwt.PyJWKClient(settings.FLOOR_JWKS_URL)


class User:
    is_authenticated = True

    def __init__(self, claims: dict):
        self.id = claims["sub"]
        self.claims = claims


class JWTAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request):
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if not header.startswith("Bearer "):
            return None
        token = header[7:]
        try:
            key = _keys().get_signing_key_from_jwt(token).key
            claims = jwt.decode(token, key, algorithms=["RS256"])
        except jwt.PyJWTError as error:
            raise exceptions.AuthenticationFailed(str(error)) from None
        return User(claims), token

    def authenticate_header(self, request):
        return "Bearer"
