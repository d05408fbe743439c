"""The auth admin's sign-in, through the same failed-login throttle as the API's login.

Staff passwords are the most valuable to guess, and every other service's admin signs in here
(marketplace_libs.admin_sso), so this is the one form that checks a password outside the API.
A staff member already signed in here who is sent back (another service's admin, whose session ended
with its token cookie) returns at once to where they were, with a fresh cookie
(accounts.admin_sso.AdminTokenCookieMiddleware).
"""

from __future__ import annotations

from functools import wraps

from django.http import HttpResponse, HttpResponseRedirect
from django.utils.http import url_has_allowed_host_and_scheme

from marketplace_libs.middleware import client_address

from . import login_throttle


def install(site) -> None:
    """``admin_login.install(admin.site)`` in the auth service's URLconf."""
    sign_in = site.login

    @wraps(sign_in)
    def throttled_sign_in(request, extra_context=None):
        if request.method != "POST":
            back_to = request.GET.get("next", "")
            if site.has_permission(request) and _is_an_admin_page(request, back_to):
                return HttpResponseRedirect(back_to)
            return sign_in(request, extra_context)
        email, address = request.POST.get("username", ""), client_address(request)
        wait = login_throttle.seconds_until_allowed(email=email, address=address)
        if wait:
            return _too_many_failures(wait)
        response = sign_in(request, extra_context)
        if request.user.is_authenticated:
            login_throttle.record_success(email=email, address=address)
        else:
            login_throttle.record_failure(email=email, address=address)
        return response

    site.login = throttled_sign_in


def _is_an_admin_page(request, url: str) -> bool:
    return url.startswith("/admin/") and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure())


def _too_many_failures(wait: int) -> HttpResponse:
    response = HttpResponse(f"Too many failed sign-ins; try again in {wait} seconds.\n",
                            status=429, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = str(wait)
    return response
