from datetime import timedelta

import environ

from marketplace_libs.settings import service_settings, with_admin_sso

globals().update(service_settings("auth", apps=[
    "rest_framework_simplejwt.token_blacklist",
    "marketplace_libs.events",
    "accounts",
]))

_env = environ.Env()

AUTH_USER_MODEL = "accounts.User"
MIDDLEWARE = with_admin_sso(MIDDLEWARE, entry="accounts.admin_sso.AdminTokenCookieMiddleware")  # noqa: F821

# The auth service verifies its own tokens with its own keys, not over HTTP.
MARKETPLACE_TOKEN_KEY_SOURCE = "accounts.keys.local_key_source"

ACCESS_TOKEN_LIFETIME = timedelta(minutes=15)
REFRESH_TOKEN_LIFETIME = timedelta(days=7)
SIMPLE_JWT = {
    "ALGORITHM": "RS256",
    "ACCESS_TOKEN_LIFETIME": ACCESS_TOKEN_LIFETIME,
    "REFRESH_TOKEN_LIFETIME": REFRESH_TOKEN_LIFETIME,
    "USER_ID_FIELD": "id",
    "USER_ID_CLAIM": "sub",
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": False,
    "AUTH_HEADER_TYPES": ("Bearer",),
    # Signing keys come from accounts.keys (KeyedTokenBackend), with their kid.
    "SIGNING_KEY": None,
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
     "OPTIONS": {"user_attributes": ("username", "email")}},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_RESET_TIMEOUT = 60 * 60  # seconds a reset link stays usable
EMAIL_VERIFICATION_TIMEOUT = timedelta(hours=48)  # how long a verification link works
EMAIL_VERIFICATION_RESEND_INTERVAL = timedelta(minutes=1)  # at most one verification email per account this often
# accounts/password_throttle.py: reset emails per address and window; wrong current passwords on
# password/change per account (within LOGIN_FAILURE_WINDOW_SECONDS).
PASSWORD_RESETS_PER_EMAIL = _env.int("MARKETPLACE_PASSWORD_RESETS_PER_EMAIL", default=3)
PASSWORD_RESET_WINDOW_SECONDS = _env.int("MARKETPLACE_PASSWORD_RESET_WINDOW_SECONDS", default=60 * 60)
PASSWORD_CHANGE_FAILURES = _env.int("MARKETPLACE_PASSWORD_CHANGE_FAILURES", default=5)

# Failed logins (accounts/login_throttle.py): per account and address, per address, and per account
# from every address together, which alone locks the account, briefly and progressively.
LOGIN_FAILURES_PER_ACCOUNT_ADDRESS = _env.int("MARKETPLACE_LOGIN_FAILURES_PER_ACCOUNT_ADDRESS", default=5)
LOGIN_FAILURES_PER_ADDRESS = _env.int("MARKETPLACE_LOGIN_FAILURES_PER_ADDRESS", default=20)
LOGIN_FAILURES_PER_ACCOUNT = _env.int("MARKETPLACE_LOGIN_FAILURES_PER_ACCOUNT", default=50)
LOGIN_FAILURE_WINDOW_SECONDS = _env.int("MARKETPLACE_LOGIN_FAILURE_WINDOW_SECONDS", default=15 * 60)
LOGIN_ACCOUNT_LOCK_SECONDS = _env.int("MARKETPLACE_LOGIN_ACCOUNT_LOCK_SECONDS", default=60)
