"""Single sign-on for each service's Django admin, from the auth service's staff accounts.

Staff sign in once, at ``/admin/auth/``; the auth service then sets a cookie
holding a short-lived staff access token, scoped to ``/admin/``. Every other
service's admin reads that cookie, verifies it like any access token, and
signs the staff member in to its own admin session (creating a local staff
user on first visit). Its login page sends people to the auth service's.

The local session lasts only as long as a valid staff token stands behind it:
every admin request verifies the cookie again, so losing the staff role, the
account (its tokens are revoked) or the auth admin's session (the cookie is
deleted on sign-out and not renewed) ends the service's admin session too.
The auth admin renews the cookie while its own session lives (a trip through
its login page, which sends staff straight back).
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth import get_user_model, login, logout
from django.shortcuts import redirect

from .tokens import TokenRejected, VerifiedToken, get_verifier

ADMIN_TOKEN_COOKIE = "marketplace_admin_token"
CENTRAL_LOGIN_URL = "/admin/auth/login/"


class AdminSingleSignOnMiddleware:
    def __init__(self, get_response):
        from django.conf import settings

        self.get_response = get_response
        self.admin_prefix = f"/admin/{settings.MARKETPLACE_SERVICE}/"

    def __call__(self, request):
        if request.path.startswith(self.admin_prefix):
            token = _staff_token(request.COOKIES.get(ADMIN_TOKEN_COOKIE))
            if request.user.is_authenticated and (token is None or token.username != request.user.get_username()):
                logout(request)
            if not request.user.is_authenticated and token is not None:
                login(request, _local_staff_user(token), backend="django.contrib.auth.backends.ModelBackend")
        return self.get_response(request)


def _staff_token(raw_token: str | None) -> VerifiedToken | None:
    if not raw_token:
        return None
    try:
        token = get_verifier().verify(raw_token)
    except TokenRejected:
        return None
    return token if token.has_role("staff") else None


def _local_staff_user(token: VerifiedToken):
    user, _created = get_user_model().objects.update_or_create(
        username=token.username,
        defaults={"is_staff": True, "is_superuser": bool(token.claims.get("is_superuser")), "is_active": True},
    )
    return user


def staff_user_from_cookie(raw_token: str | None):
    token = _staff_token(raw_token)
    return None if token is None else _local_staff_user(token)


def central_login(request, extra_context=None):
    """Replaces a service admin's login page: sign in at the auth service, then come back."""
    return redirect(f"{CENTRAL_LOGIN_URL}?{urlencode({'next': request.GET.get('next') or request.path})}")


def install(site) -> None:
    """For every service but auth: ``admin_sso.install(admin.site)`` in its URLconf."""
    site.login = central_login
