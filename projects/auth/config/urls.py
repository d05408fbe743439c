from django.contrib import admin
from django.urls import include, path

from accounts import admin_login
from marketplace_libs.problems import install_error_handlers
from marketplace_libs.urls import platform_urlpatterns

admin_login.install(admin.site)

urlpatterns = [
    path("api/auth/", include("accounts.urls")),
    *platform_urlpatterns("auth"),
]
install_error_handlers(globals())
