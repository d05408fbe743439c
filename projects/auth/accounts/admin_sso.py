"""The auth side of admin single sign-on: a staff token cookie for the other services' admins."""

import time

from django.conf import settings

from marketplace_libs.admin_sso import ADMIN_TOKEN_COOKIE
from marketplace_libs.tokens import TokenRejected, get_verifier

from .tokens import issue_admin_token

ADMIN_PREFIX = "/admin/auth/"
RENEW_WHEN_LESS_THAN_SECONDS = 5 * 60


class AdminTokenCookieMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not request.path.startswith(ADMIN_PREFIX):
            return response
        if request.path.startswith(f"{ADMIN_PREFIX}logout/"):
            response.delete_cookie(ADMIN_TOKEN_COOKIE, path="/admin/")
        elif request.user.is_authenticated and request.user.is_staff and self._needs_token(request):
            response.set_cookie(
                ADMIN_TOKEN_COOKIE,
                issue_admin_token(request.user),
                max_age=int(settings.ACCESS_TOKEN_LIFETIME.total_seconds()),
                path="/admin/",
                secure=settings.MARKETPLACE_CONFIG.production,
                httponly=True,
                samesite="Lax",
            )
        return response

    @staticmethod
    def _needs_token(request) -> bool:
        try:
            token = get_verifier().verify(request.COOKIES.get(ADMIN_TOKEN_COOKIE))
        except TokenRejected:
            return True
        return token.expires_at - time.time() < RENEW_WHEN_LESS_THAN_SECONDS
