"""The platform's configuration, read once from the environment.

With nothing set, everything runs on embedded defaults (SQLite files, an
in-memory broker, in-process caches); each ``MARKETPLACE_*_URL`` switches one
part to its real server. ``MARKETPLACE_ENV=production`` refuses every insecure
default and names the variables that are missing.
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import environ

from .topology import REPO_ROOT, gateway_port, service


class ImproperlyConfiguredPlatform(RuntimeError):
    pass


DEVELOPMENT_SECRET_KEY = "development-only-insecure-secret-key"  # noqa: S105 - refused in production
# The proxies whose word on the client's address is taken: nginx's set_real_ip_from (the load balancer
# or ingress in front of it) and the services' trust in nginx's X-Real-IP, from this one list.
DEFAULT_TRUSTED_PROXIES = ("127.0.0.1/32", "::1/128")
DEFAULT_MAX_UPLOAD_MB = 100


@dataclass(frozen=True)
class PlatformConfig:
    environment: str
    secret_key: str
    database_url: str | None
    broker_url: str | None
    redis_url: str | None
    elasticsearch_url: str | None
    email_url: str | None
    jwks_url: str
    public_url: str
    var_dir: Path
    debug: bool
    allowed_hosts: list[str]
    web_concurrency: int
    trusted_proxies: tuple[str, ...] = DEFAULT_TRUSTED_PROXIES
    # Uploaded files (marketplace_libs.files): S3-compatible storage, or var/media/ when None.
    storage_url: str | None = None
    max_upload_mb: int = DEFAULT_MAX_UPLOAD_MB

    @property
    def production(self) -> bool:
        return self.environment == "production"


def read_config(env: environ.Env | None = None) -> PlatformConfig:
    env = env or environ.Env()
    environment = env.str("MARKETPLACE_ENV", default="development")
    if environment not in {"development", "production"}:
        raise ImproperlyConfiguredPlatform(
            f"MARKETPLACE_ENV must be 'development' or 'production', not {environment!r}"
        )
    auth_url = service("auth").local_url
    config = PlatformConfig(
        environment=environment,
        secret_key=env.str("MARKETPLACE_SECRET_KEY", default=DEVELOPMENT_SECRET_KEY),
        database_url=env.str("MARKETPLACE_DATABASE_URL", default=None) or None,
        broker_url=env.str("MARKETPLACE_BROKER_URL", default=None) or None,
        redis_url=env.str("MARKETPLACE_REDIS_URL", default=None) or None,
        elasticsearch_url=env.str("MARKETPLACE_ELASTICSEARCH_URL", default=None) or None,
        email_url=env.str("MARKETPLACE_EMAIL_URL", default=None) or None,
        jwks_url=env.str(
            "MARKETPLACE_AUTH_JWKS_URL", default=f"{auth_url}/api/auth/.well-known/jwks.json"
        ),
        public_url=env.str("MARKETPLACE_PUBLIC_URL", default=f"http://127.0.0.1:{gateway_port()}").rstrip("/"),
        var_dir=Path(env.str("MARKETPLACE_VAR_DIR", default=str(REPO_ROOT / "var"))),
        debug=env.bool("MARKETPLACE_DEBUG", default=False),
        allowed_hosts=env.list("MARKETPLACE_ALLOWED_HOSTS", default=["*"]),
        web_concurrency=env.int("MARKETPLACE_WEB_CONCURRENCY", default=2),
        trusted_proxies=trusted_proxies(env),
        storage_url=env.str("MARKETPLACE_STORAGE_URL", default=None) or None,
        max_upload_mb=max_upload_mb(env),
    )
    if config.production:
        ensure_production_ready(config)
    return config


def max_upload_mb(env: environ.Env | None = None) -> int:
    """``MARKETPLACE_MAX_UPLOAD_MB``: the largest file a service accepts (nginx allows a little more
    for the multipart framing, so the service is the one that answers 413 with its reasons)."""
    env = env or environ.Env()
    value = env.int("MARKETPLACE_MAX_UPLOAD_MB", default=DEFAULT_MAX_UPLOAD_MB)
    if not 1 <= value <= 5 * 1024:
        raise ImproperlyConfiguredPlatform(f"MARKETPLACE_MAX_UPLOAD_MB must be 1..5120, not {value}")
    return value


def trusted_proxies(env: environ.Env | None = None) -> tuple[str, ...]:
    """``MARKETPLACE_TRUSTED_PROXIES`` (addresses or networks, comma-separated), as networks."""
    env = env or environ.Env()
    listed = env.list("MARKETPLACE_TRUSTED_PROXIES", default=list(DEFAULT_TRUSTED_PROXIES))
    networks = []
    for entry in filter(None, (item.strip() for item in listed)):
        try:
            networks.append(str(ipaddress.ip_network(entry, strict=False)))
        except ValueError:
            raise ImproperlyConfiguredPlatform(
                f"MARKETPLACE_TRUSTED_PROXIES: {entry!r} is not an IP address or network"
            ) from None
    return tuple(networks)


# Values that were written to be replaced (compose/.env.example, the Kubernetes example secrets, the
# development defaults): in production they are as good as published.
PLACEHOLDER_MARKERS = ("change-me", "change_me", "changeme", "example", "placeholder", "development",
                       "insecure", "not-secret", "not_secret", "replace-me", "replace_me", "todo")
MIN_SECRET_LENGTH = 32


def weak_secret(value: str) -> str | None:
    """Why ``value`` cannot be a production secret, or None when it can."""
    lowered = value.lower()
    marker = next((marker for marker in PLACEHOLDER_MARKERS if marker in lowered), None)
    if marker:
        return f"is a placeholder (contains {marker!r})"
    if len(value) < MIN_SECRET_LENGTH:
        return f"is shorter than {MIN_SECRET_LENGTH} characters"
    return None


def _url_password_problem(name: str, url: str | None) -> str | None:
    password = urlsplit(url).password if url else None
    if password and any(marker in password.lower() for marker in PLACEHOLDER_MARKERS):
        return f"{name} has a placeholder password"
    return None


def ensure_production_ready(config: PlatformConfig) -> None:
    problems = []
    if config.secret_key == DEVELOPMENT_SECRET_KEY:
        problems.append("MARKETPLACE_SECRET_KEY is not set")
    elif reason := weak_secret(config.secret_key):
        problems.append(f"MARKETPLACE_SECRET_KEY {reason}")
    for name, url in (
        ("MARKETPLACE_DATABASE_URL", config.database_url),
        ("MARKETPLACE_BROKER_URL", config.broker_url),
        ("MARKETPLACE_REDIS_URL", config.redis_url),
        ("MARKETPLACE_ELASTICSEARCH_URL", config.elasticsearch_url),
        ("MARKETPLACE_EMAIL_URL", config.email_url),
        ("MARKETPLACE_STORAGE_URL", config.storage_url),
    ):
        if problem := _url_password_problem(name, url):
            problems.append(problem)
    for name, value in (
        ("MARKETPLACE_DATABASE_URL", config.database_url),
        ("MARKETPLACE_BROKER_URL", config.broker_url),
        ("MARKETPLACE_REDIS_URL", config.redis_url),
    ):
        if not value:
            problems.append(f"{name} is not set (embedded defaults are for development only)")
    if config.debug:
        problems.append("MARKETPLACE_DEBUG must be off")
    if "*" in config.allowed_hosts:
        problems.append("MARKETPLACE_ALLOWED_HOSTS must name the hosts instead of '*'")
    if problems:
        raise ImproperlyConfiguredPlatform(
            "MARKETPLACE_ENV=production refuses insecure defaults: " + "; ".join(problems)
        )


def require_secret(name: str, development_default: str) -> str:
    """A secret that has a development default but must be set in production."""
    value = os.environ.get(name)
    production = os.environ.get("MARKETPLACE_ENV", "development") == "production"
    if value:
        if production and (reason := weak_secret(value)):
            raise ImproperlyConfiguredPlatform(f"MARKETPLACE_ENV=production refuses insecure defaults: {name} {reason}")
        return value
    if production:
        raise ImproperlyConfiguredPlatform(
            f"MARKETPLACE_ENV=production refuses insecure defaults: {name} is not set"
        )
    return development_default
