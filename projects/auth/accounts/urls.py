from django.urls import path
from django.views.decorators.http import require_GET

from . import api

urlpatterns = [
    path("register", api.RegisterView.as_view(), name="register"),
    path("login", api.LoginView.as_view(), name="login"),
    path("refresh", api.RefreshView.as_view(), name="refresh"),
    path("logout", api.LogoutView.as_view(), name="logout"),
    path("me", api.MeView.as_view(), name="me"),
    path("password/change", api.PasswordChangeView.as_view(), name="password-change"),
    path("password/reset", api.PasswordResetView.as_view(), name="password-reset"),
    path("password/reset/confirm", api.PasswordResetConfirmView.as_view(), name="password-reset-confirm"),
    path("email/verify", api.EmailVerifyView.as_view(), name="email-verify"),
    path("email/resend", api.EmailResendView.as_view(), name="email-resend"),
    path(".well-known/jwks.json", require_GET(api.jwks), name="jwks"),
]
