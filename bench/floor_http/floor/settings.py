import os

import environ

SECRET_KEY = "floor"
DEBUG = False
ALLOWED_HOSTS = ["*"]
INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.postgres", "rest_framework", "floor"]
MIDDLEWARE = []
ROOT_URLCONF = "floor.urls"
WSGI_APPLICATION = "floor.wsgi.application"
USE_TZ = True
TIME_ZONE = "UTC"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"


def _database(variable: str) -> dict:
    return {**environ.Env.db_url_config(os.environ[variable]), "CONN_MAX_AGE": 60}


DATABASES = {
    "default": _database("FLOOR_GIGS_DATABASE"),
    "auth": _database("FLOOR_AUTH_DATABASE"),
    "orders": _database("FLOOR_ORDERS_DATABASE"),
}
DATABASE_ROUTERS = ["floor.models.Router"]
FLOOR_JWKS_URL = os.environ.get("FLOOR_JWKS_URL", "")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["floor.authentication.JWTAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "UNAUTHENTICATED_USER": None,
}

# A failed request says why in var/bench-http/floor.log (Django alone logs nothing without DEBUG).
LOGGING = {
    "version": 1,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"django.request": {"handlers": ["console"], "level": "ERROR"}},
}
