from django.contrib import admin
from django.urls import include, path

from marketplace_libs import admin_sso
from marketplace_libs.problems import install_error_handlers
from marketplace_libs.urls import platform_urlpatterns

urlpatterns = [
    *platform_urlpatterns("payments"),
    path("api/payments/", include("payments.urls")),
]
install_error_handlers(globals())
admin_sso.install(admin.site)
