from django.urls import include, path

from marketplace_libs.problems import install_error_handlers
from marketplace_libs.urls import platform_urlpatterns

urlpatterns = [
    path("api/auth/", include("accounts.urls")),
    *platform_urlpatterns("auth"),
]
install_error_handlers(globals())
