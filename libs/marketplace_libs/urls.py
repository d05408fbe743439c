"""The URLs every service answers besides its own API."""

from __future__ import annotations

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from . import health


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
        path(f"admin/{service}/", admin.site.urls),
        path("", include("django_prometheus.urls")),
    ]
