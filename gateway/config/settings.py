"""The Django half of the gateway: token verification for nginx, platform health, the docs page.

It keeps no database: what it needs is the auth service's public keys (JWKS)
and the shared revocation cache.
"""

from marketplace_libs.settings import service_settings

globals().update(service_settings("gateway", apps=["drf_spectacular_sidecar", "edge"]))

INSTALLED_APPS = [  # noqa: F811 - no admin, sessions or users at the edge
    "django.contrib.contenttypes",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_prometheus",
    "edge",
]
MIDDLEWARE = [
    "marketplace_libs.middleware.RequestIdMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "marketplace_libs.middleware.ProblemFallbackMiddleware",
    "django.middleware.common.CommonMiddleware",
    "marketplace_libs.request_metrics.RequestMetricsMiddleware",
]
DATABASES = {}
TEMPLATES[0]["OPTIONS"]["context_processors"] = ["django.template.context_processors.request"]  # noqa: F821
READINESS_CHECKS_REPLACE = True
READINESS_CHECKS = {"cache": "marketplace_libs.health.check_cache", "jwks": "edge.health.check_jwks"}
