"""The URLs every service answers besides its own API."""

from __future__ import annotations

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from . import health


def _admin_login(request):
    """The admin's login page, looked up per request: admin_sso.install() then works wherever it is called."""
    return admin.site.login(request)


def platform_urlpatterns(service: str) -> list:
    """Health, readiness and schema (at the root and under the service's prefix), metrics, admin."""
    prefix = f"api/{service}/"
    return [
        path("healthz", health.healthz, name="healthz"),
        path("readyz", health.readyz, name="readyz"),
        path(f"{prefix}healthz", health.healthz),
        path(f"{prefix}readyz", health.readyz),
        path(f"{prefix}schema/", SpectacularAPIView.as_view(
            authentication_classes=[], permission_classes=[]), name="schema"),
        # Before the admin's own login URL, which binds admin.site.login when the URLconf loads.
        path(f"admin/{service}/login/", _admin_login),
        path(f"admin/{service}/", admin.site.urls),
        path("", include("django_prometheus.urls")),
    ]
