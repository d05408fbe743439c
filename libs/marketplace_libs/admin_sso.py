"""Single sign-on for each service's Django admin, from the auth service's staff accounts.

Staff sign in once, at ``/admin/auth/``; the auth service then sets a cookie
holding a short-lived staff access token, scoped to ``/admin/``. Every other
service's admin reads that cookie, verifies it like any access token, and
signs the staff member in to its own admin session (creating a local staff
user on first visit). Its login page sends people to the auth service's.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth import get_user_model, login
from django.shortcuts import redirect

from .tokens import TokenRejected, get_verifier

ADMIN_TOKEN_COOKIE = "marketplace_admin_token"
CENTRAL_LOGIN_URL = "/admin/auth/login/"


class AdminSingleSignOnMiddleware:
    def __init__(self, get_response):
        from django.conf import settings

        self.get_response = get_response
        self.admin_prefix = f"/admin/{settings.MARKETPLACE_SERVICE}/"

    def __call__(self, request):
        if request.path.startswith(self.admin_prefix) and not request.user.is_authenticated:
            user = staff_user_from_cookie(request.COOKIES.get(ADMIN_TOKEN_COOKIE))
            if user is not None:
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        return self.get_response(request)


def staff_user_from_cookie(raw_token: str | None):
    if not raw_token:
        return None
    try:
        token = get_verifier().verify(raw_token)
    except TokenRejected:
        return None
    if not token.has_role("staff"):
        return None
    user, _created = get_user_model().objects.update_or_create(
        username=token.username,
        defaults={"is_staff": True, "is_superuser": bool(token.claims.get("is_superuser")), "is_active": True},
    )
    return user


def central_login(request, extra_context=None):
    """Replaces a service admin's login page: sign in at the auth service, then come back."""
    return redirect(f"{CENTRAL_LOGIN_URL}?{urlencode({'next': request.GET.get('next') or request.path})}")


def install(site) -> None:
    """For every service but auth: ``admin_sso.install(admin.site)`` in its URLconf."""
    site.login = central_login
