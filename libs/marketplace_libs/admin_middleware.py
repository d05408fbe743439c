"""Django's session, authentication, CSRF and message middleware, at work on the admin's pages only.

The API is called with a bearer token: it never reads a session, a CSRF cookie, Django's
``request.user`` (DRF sets its own) or a flash message, and DRF's views are CSRF-exempt anyway.
Every service still installs these for its admin; on every other path they step aside, which is
a part of what an API call cost above the framework floor (docs/performance.md, issue 24).
Subclasses, so that Django's admin checks (admin.E408-E410) still find them.
"""

from __future__ import annotations

from django.contrib.auth import middleware as auth
from django.contrib.messages import middleware as messages
from django.contrib.sessions import middleware as sessions
from django.middleware import csrf

ADMIN_PATH = "/admin/"


def is_admin_page(request) -> bool:
    return request.path_info.startswith(ADMIN_PATH)


class _OnAdminPagesOnly:
    def __call__(self, request):
        if is_admin_page(request):
            return super().__call__(request)
        return self.get_response(request)


class SessionMiddleware(_OnAdminPagesOnly, sessions.SessionMiddleware):
    pass


class AuthenticationMiddleware(_OnAdminPagesOnly, auth.AuthenticationMiddleware):
    pass


class MessageMiddleware(_OnAdminPagesOnly, messages.MessageMiddleware):
    pass


class CsrfViewMiddleware(_OnAdminPagesOnly, csrf.CsrfViewMiddleware):
    def process_view(self, request, callback, callback_args, callback_kwargs):
        if not is_admin_page(request):
            return None
        return super().process_view(request, callback, callback_args, callback_kwargs)
