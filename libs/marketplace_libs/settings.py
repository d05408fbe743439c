"""The settings every service starts from.

A service's settings module is a few lines::

    from marketplace_libs.settings import service_settings
    globals().update(service_settings("auth", apps=["accounts"]))

and then whatever is its own. Everything here comes from the environment
(see :mod:`marketplace_libs.config`).
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

import environ

from .config import PlatformConfig, read_config
from .files.config import storage_backend
from .logging_setup import logging_config
from .topology import database_name, gateway_port

FRAMEWORK_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "django_prometheus",
]

MIDDLEWARE = [
    "marketplace_libs.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "marketplace_libs.middleware.ProblemFallbackMiddleware",
    "marketplace_libs.admin_middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "marketplace_libs.admin_middleware.CsrfViewMiddleware",
    "marketplace_libs.admin_middleware.AuthenticationMiddleware",
    "marketplace_libs.admin_middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "marketplace_libs.request_metrics.RequestMetricsMiddleware",
]


ADMIN_SSO_MIDDLEWARE = "marketplace_libs.admin_sso.AdminSingleSignOnMiddleware"


def with_admin_sso(middleware: list[str], *, entry: str = ADMIN_SSO_MIDDLEWARE) -> list[str]:
    """``middleware`` with the admin's single sign-on ``entry`` right after Django's authentication
    middleware: it signs the staff member in, so ``request.user`` must already be there. The auth
    service passes its own entry, which sets the cookie the others read."""
    position = middleware.index("marketplace_libs.admin_middleware.AuthenticationMiddleware") + 1
    return [*middleware[:position], entry, *middleware[position:]]


def database_settings(config: PlatformConfig, service: str) -> dict:
    name = database_name(service)
    if not config.database_url:
        config.var_dir.joinpath("db").mkdir(parents=True, exist_ok=True)
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(config.var_dir / "db" / f"{name}.sqlite3"),
            # Several processes write to each file (web workers, relay, Celery worker): WAL lets readers
            # run beside a writer, and IMMEDIATE takes the write lock at BEGIN, so a transaction that
            # reads then writes waits its turn instead of failing with "database is locked".
            "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE",
                        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"},
            # Tests on a file too, not Django's shared-cache memory database: there a socket's thread
            # writing beside the test's fails at once with "database table is locked" instead of
            # waiting its turn as it does on the file the platform runs on.
            "TEST": {"NAME": str(config.var_dir / "db" / f"test_{name}.sqlite3")},
        }
    parts = urlsplit(config.database_url)
    url = urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, ""))
    database = environ.Env.db_url_config(url)
    database.update(ENGINE="marketplace_libs.postgresql", CONN_MAX_AGE=60, CONN_HEALTH_CHECKS=True)
    # The server binds the parameters: psycopg sends them beside the statement instead of quoting
    # them into its text in Python (docs/decisions.md, 83).
    database["OPTIONS"] = {**database.get("OPTIONS", {}), "server_side_binding": True}
    database.setdefault("TEST", {})["NAME"] = f"test_{name}"
    return database


def cache_settings(config: PlatformConfig, service: str) -> dict:
    if config.redis_url:
        def redis(prefix: str) -> dict:
            return {
                "BACKEND": "django_redis.cache.RedisCache",
                "LOCATION": config.redis_url,
                "KEY_PREFIX": prefix,
                "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 2, "SOCKET_TIMEOUT": 2},
            }

        # "shared" is read by every service and the gateway (token revocation), so one prefix.
        return {"default": redis(service), "shared": redis("platform")}
    return {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": service},
        # Without Redis, a file cache is what separate processes can all see.
        "shared": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(config.var_dir / "cache" / "shared"),
        },
    }


def email_settings(config: PlatformConfig) -> dict:
    if config.email_url:
        return environ.Env.email_url_config(config.email_url)
    return {
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(config.var_dir / "mail"),
    }


def channel_layer_settings(config: PlatformConfig, service: str) -> dict:
    """Channels' layer: Redis pub/sub when configured (processes of one service reach each other's
    sockets), else in memory (then the service must run as one process).

    Pub/sub rather than channels_redis's core layer (docs/decisions.md, 35): a push is fire-and-forget
    either way (the core layer drops it silently once a process's channel is at capacity), and pub/sub
    costs a process far less CPU per push. Every frame pushed is also stored or recomputable, so a
    socket that misses one catches up from the REST API. Pub/sub channel names are global to the Redis
    server, not per database, so the prefix carries the database: two platforms on one server (a
    developer's and the tests') stay apart."""
    if not config.redis_url:
        return {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    database = urlsplit(config.redis_url).path.strip("/") or "0"
    return {"default": {
        "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
        "CONFIG": {"hosts": [config.redis_url], "prefix": f"marketplace:{database}:{service}:"},
    }}


def service_settings(service: str, *, apps: list[str], config: PlatformConfig | None = None,
                     urlconf: str = "config.urls") -> dict:
    config = config or read_config()
    config.var_dir.joinpath("static", service).mkdir(parents=True, exist_ok=True)
    public_origins = [config.public_url, f"http://127.0.0.1:{gateway_port()}", f"http://localhost:{gateway_port()}"]
    settings = {
        "MARKETPLACE_SERVICE": service,
        "MARKETPLACE_CONFIG": config,
        "MARKETPLACE_ENV": config.environment,
        "MARKETPLACE_BROKER_URL": config.broker_url,
        "MARKETPLACE_REDIS_URL": config.redis_url,
        "MARKETPLACE_JWKS_URL": config.jwks_url,
        "MARKETPLACE_PUBLIC_URL": config.public_url,
        "MARKETPLACE_TRUSTED_PROXIES": config.trusted_proxies,
        "MARKETPLACE_TOKEN_KEY_SOURCE": "marketplace_libs.tokens.key_source_from_settings",
        # Orders, checkout, publishing a gig and chat messages need a confirmed address
        # (marketplace_libs.authentication.require_verified_email).
        "MARKETPLACE_REQUIRE_VERIFIED_EMAIL": environ.Env().bool("MARKETPLACE_REQUIRE_VERIFIED_EMAIL", default=True),
        "SECRET_KEY": config.secret_key,
        "DEBUG": config.debug,
        "ALLOWED_HOSTS": config.allowed_hosts,
        "INSTALLED_APPS": [*FRAMEWORK_APPS, *apps],
        "MIDDLEWARE": list(MIDDLEWARE),
        "ROOT_URLCONF": urlconf,
        "DATABASES": {"default": database_settings(config, service)},
        "DEFAULT_AUTO_FIELD": "django.db.models.BigAutoField",
        "CACHES": cache_settings(config, service),
        "CHANNEL_LAYERS": channel_layer_settings(config, service),
        "EVENTS_PREFETCH": environ.Env().int("MARKETPLACE_EVENTS_PREFETCH", default=400),
        "EVENTS_BATCH_LINGER_MS": environ.Env().float("MARKETPLACE_EVENTS_BATCH_LINGER_MS", default=10),
        "ASGI_APPLICATION": "config.asgi.application",
        "LOGGING": logging_config(service, environ.Env().str("MARKETPLACE_LOG_LEVEL", default="INFO").upper()),
        "TEMPLATES": [
            {
                "BACKEND": "django.template.backends.django.DjangoTemplates",
                "DIRS": [],
                "APP_DIRS": True,
                "OPTIONS": {
                    "context_processors": [
                        "django.template.context_processors.request",
                        "django.contrib.auth.context_processors.auth",
                        "django.contrib.messages.context_processors.messages",
                    ]
                },
            }
        ],
        "LANGUAGE_CODE": "en-us",
        "TIME_ZONE": "UTC",
        "USE_TZ": True,
        "USE_I18N": True,
        # Every service sits behind the same host, so cookies and statics are kept apart by path.
        "STATIC_URL": f"/static/{service}/",
        "STATIC_ROOT": str(config.var_dir / "static" / service),
        # Avatars (the users service): public files the gateway serves from /media/users/.
        "MEDIA_URL": f"/media/{service}/",
        "MEDIA_ROOT": str(config.var_dir / "media" / service),
        # Every other upload: the "files" storage, reached by signed links only (marketplace_libs.files).
        "STORAGES": {
            "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
            "files": storage_backend(storage_url=config.storage_url, service=service, var_dir=config.var_dir,
                                     public_url=environ.Env().str("MARKETPLACE_STORAGE_PUBLIC_URL", default="")),
        },
        "WHITENOISE_USE_FINDERS": True,
        "SESSION_COOKIE_NAME": f"{service}_sessionid",
        "SESSION_COOKIE_PATH": f"/admin/{service}/",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SECURE": config.production,
        "CSRF_COOKIE_NAME": f"{service}_csrftoken",
        "CSRF_COOKIE_PATH": f"/admin/{service}/",
        "CSRF_COOKIE_SECURE": config.production,
        "CSRF_TRUSTED_ORIGINS": environ.Env().list("MARKETPLACE_PUBLIC_ORIGINS", default=public_origins),
        # nginx passes the client's Host, which ALLOWED_HOSTS checks; X-Forwarded-Host would be the
        # client's word, unchecked by nginx, in every absolute link.
        "USE_X_FORWARDED_HOST": False,
        "SECURE_PROXY_SSL_HEADER": ("HTTP_X_FORWARDED_PROTO", "https"),
        "SECURE_CONTENT_TYPE_NOSNIFF": True,
        "DATA_UPLOAD_MAX_MEMORY_SIZE": 1024 * 1024,
        "REST_FRAMEWORK": {
            "DEFAULT_AUTHENTICATION_CLASSES": ["marketplace_libs.authentication.AccessTokenAuthentication"],
            "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
            "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
            "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
            "DEFAULT_PAGINATION_CLASS": "marketplace_libs.pagination.StandardPagination",
            "DEFAULT_SCHEMA_CLASS": "marketplace_libs.openapi.AutoSchema",
            "EXCEPTION_HANDLER": "marketplace_libs.problems.exception_handler",
            "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
            "PAGE_SIZE": 20,
        },
        "SPECTACULAR_SETTINGS": {
            "TITLE": f"Marketplace {service} service",
            "VERSION": "1.0.0",
            "SERVE_INCLUDE_SCHEMA": False,
            "SCHEMA_PATH_PREFIX": f"/api/{service}/",
            "COMPONENT_SPLIT_REQUEST": True,
            "GET_LIB_DOC_EXCLUDES": "marketplace_libs.openapi.doc_excludes",
        },
        **email_settings(config),
        "DEFAULT_FROM_EMAIL": environ.Env().str("MARKETPLACE_EMAIL_FROM", default="Marketplace <no-reply@marketplace.local>"),
    }
    if config.production:
        settings.update(SECURE_HSTS_SECONDS=31536000, SESSION_COOKIE_SAMESITE="Lax")
    return settings
