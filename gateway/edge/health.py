from django.conf import settings
import httpx


def check_jwks() -> None:
    """The gateway can verify nothing without the auth service's public keys."""
    httpx.get(settings.MARKETPLACE_JWKS_URL, timeout=2.0).raise_for_status()
