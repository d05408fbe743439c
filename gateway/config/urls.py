from django.urls import include, path

from edge import views
from marketplace_libs import health
from marketplace_libs.problems import install_error_handlers

urlpatterns = [
    path("_auth/verify", views.verify, name="verify"),
    path("files/<str:token>", views.stored_file, name="stored-file"),
    path("healthz", views.platform_health, name="platform-health"),
    path("readyz", health.readyz, name="readyz"),
    path("api/docs/", views.docs, name="docs"),
    path("", include("django_prometheus.urls")),
]
install_error_handlers(globals())
