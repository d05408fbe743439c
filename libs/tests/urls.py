from django.contrib import admin
from django.urls import path

from marketplace_libs import admin_sso
from marketplace_libs.problems import install_error_handlers
from marketplace_libs.urls import platform_urlpatterns

from . import views

prefix = "api/libstest/"

urlpatterns = [
    path(f"{prefix}validation", views.NestedValidationError.as_view()),
    path(f"{prefix}echo", views.EchoView.as_view()),
    path(f"{prefix}conflict", views.ConflictView.as_view()),
    path(f"{prefix}items", views.ItemsView.as_view()),
    path(f"{prefix}not-yet", views.NotYetView.as_view()),
    path(f"{prefix}rate-limited", views.RateLimitedView.as_view()),
    path(f"{prefix}throttled", views.ThrottledView.as_view()),
    path(f"{prefix}not-found", views.NotFoundView.as_view()),
    path(f"{prefix}whoami", views.WhoAmIView.as_view()),
    path(f"{prefix}seller-only", views.SellerOnlyView.as_view()),
    path(f"{prefix}verified-only", views.VerifiedOnlyView.as_view()),
    path(f"{prefix}broken", views.BrokenView.as_view()),
    path(f"{prefix}broken-plain", views.broken_plain_view),
    path(f"{prefix}register-someone", views.RegisterSomeoneView.as_view()),
    path(f"{prefix}careless", views.CarelessView.as_view()),
    path(f"{prefix}idempotent-register", views.IdempotentRegisterView.as_view()),
    path(f"{prefix}upload", views.UploadView.as_view()),
    *platform_urlpatterns("libstest"),
]
install_error_handlers(globals())
# Like every service but auth; called after platform_urlpatterns on purpose (the order must not matter).
admin_sso.install(admin.site)
