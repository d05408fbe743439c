"""read_config and the settings built from it: embedded defaults, production refusals, databases."""

import dataclasses
from pathlib import Path

import environ
import pytest

from marketplace_libs import logging_setup
from marketplace_libs.config import (
    DEVELOPMENT_SECRET_KEY, ImproperlyConfiguredPlatform, read_config, require_secret,
)
from marketplace_libs.settings import cache_settings, database_settings, email_settings, service_settings
from marketplace_libs.topology import REPO_ROOT

PRODUCTION = {
    "MARKETPLACE_ENV": "production",
    "MARKETPLACE_SECRET_KEY": "q3J9v-Lr2mXw8TzKb4NcY7pHs1DfGa6UeR5oWiQ0",
    "MARKETPLACE_DATABASE_URL": "postgres://app:pw@db.internal:5432",
    "MARKETPLACE_BROKER_URL": "amqp://app:pw@mq.internal:5672//",
    "MARKETPLACE_REDIS_URL": "redis://cache.internal:6379/0",
    "MARKETPLACE_ALLOWED_HOSTS": "marketplace.example.com,api.marketplace.example.com",
}


def env_of(values: dict) -> environ.Env:
    """An environ.Env that reads only ``values``, not the process's environment."""
    env = environ.Env()
    env.ENVIRON = dict(values)
    return env


@pytest.fixture(autouse=True)
def _default_ports(monkeypatch):
    monkeypatch.delenv("MARKETPLACE_PORT_BASE", raising=False)
    monkeypatch.delenv("MARKETPLACE_GATEWAY_PORT", raising=False)
    monkeypatch.delenv("MARKETPLACE_DATABASE_PREFIX", raising=False)


@pytest.fixture
def restore_logging():
    """service_settings() configures structlog for the service it builds; put the test service back."""
    yield
    logging_setup.configure_structlog("libstest")


# --- embedded defaults -----------------------------------------------------------------------

def test_embedded_defaults():
    config = read_config(env_of({}))
    assert config.environment == "development"
    assert not config.production
    assert config.secret_key == DEVELOPMENT_SECRET_KEY
    assert config.database_url is None
    assert config.broker_url is None
    assert config.redis_url is None
    assert config.elasticsearch_url is None
    assert config.email_url is None
    assert config.jwks_url == "http://127.0.0.1:8101/api/auth/.well-known/jwks.json"
    assert config.public_url == "http://127.0.0.1:8080"
    assert config.var_dir == REPO_ROOT / "var"
    assert config.debug is False
    assert config.allowed_hosts == ["*"]
    assert config.web_concurrency == 2


def test_empty_urls_count_as_unset():
    config = read_config(env_of({"MARKETPLACE_DATABASE_URL": "", "MARKETPLACE_BROKER_URL": "",
                                 "MARKETPLACE_REDIS_URL": ""}))
    assert (config.database_url, config.broker_url, config.redis_url) == (None, None, None)


def test_values_from_the_environment(tmp_path):
    config = read_config(env_of({
        "MARKETPLACE_DATABASE_URL": "postgres://postgres@127.0.0.1:5432",
        "MARKETPLACE_REDIS_URL": "redis://127.0.0.1:6379/1",
        "MARKETPLACE_PUBLIC_URL": "https://shop.example.com/",
        "MARKETPLACE_VAR_DIR": str(tmp_path),
        "MARKETPLACE_DEBUG": "true",
        "MARKETPLACE_ALLOWED_HOSTS": "a.example,b.example",
        "MARKETPLACE_WEB_CONCURRENCY": "5",
        "MARKETPLACE_AUTH_JWKS_URL": "http://auth.internal/jwks.json",
    }))
    assert config.database_url == "postgres://postgres@127.0.0.1:5432"
    assert config.redis_url == "redis://127.0.0.1:6379/1"
    assert config.public_url == "https://shop.example.com"
    assert config.var_dir == tmp_path
    assert config.debug is True
    assert config.allowed_hosts == ["a.example", "b.example"]
    assert config.web_concurrency == 5
    assert config.jwks_url == "http://auth.internal/jwks.json"


def test_port_base_moves_the_default_jwks_url(monkeypatch):
    monkeypatch.setenv("MARKETPLACE_PORT_BASE", "9000")
    assert read_config(env_of({})).jwks_url == "http://127.0.0.1:9001/api/auth/.well-known/jwks.json"


def test_read_config_reads_the_process_environment_by_default(monkeypatch):
    monkeypatch.setenv("MARKETPLACE_WEB_CONCURRENCY", "7")
    monkeypatch.setenv("MARKETPLACE_ENV", "development")
    assert read_config().web_concurrency == 7


def test_unknown_environment_is_refused():
    with pytest.raises(ImproperlyConfiguredPlatform, match="staging"):
        read_config(env_of({"MARKETPLACE_ENV": "staging"}))


# --- production -------------------------------------------------------------------------------

def test_production_refuses_defaults_and_names_every_missing_variable():
    with pytest.raises(ImproperlyConfiguredPlatform) as caught:
        read_config(env_of({"MARKETPLACE_ENV": "production"}))
    message = str(caught.value)
    for name in ("MARKETPLACE_SECRET_KEY", "MARKETPLACE_DATABASE_URL", "MARKETPLACE_BROKER_URL",
                 "MARKETPLACE_REDIS_URL", "MARKETPLACE_ALLOWED_HOSTS"):
        assert name in message
    assert "MARKETPLACE_DEBUG" not in message  # debug is off by default


@pytest.mark.parametrize("missing", [
    "MARKETPLACE_SECRET_KEY", "MARKETPLACE_DATABASE_URL", "MARKETPLACE_BROKER_URL", "MARKETPLACE_REDIS_URL",
    "MARKETPLACE_ALLOWED_HOSTS",
])
def test_production_names_the_one_missing_variable(missing):
    values = {name: value for name, value in PRODUCTION.items() if name != missing}
    with pytest.raises(ImproperlyConfiguredPlatform) as caught:
        read_config(env_of(values))
    message = str(caught.value)
    assert missing in message
    assert [name for name in PRODUCTION if name in message and name != "MARKETPLACE_ENV"] == [missing]


def test_production_refuses_the_development_secret_and_debug():
    with pytest.raises(ImproperlyConfiguredPlatform) as caught:
        read_config(env_of({**PRODUCTION, "MARKETPLACE_SECRET_KEY": DEVELOPMENT_SECRET_KEY,
                            "MARKETPLACE_DEBUG": "1"}))
    assert "MARKETPLACE_SECRET_KEY" in str(caught.value)
    assert "MARKETPLACE_DEBUG" in str(caught.value)


def test_production_refuses_a_wildcard_host():
    with pytest.raises(ImproperlyConfiguredPlatform, match="MARKETPLACE_ALLOWED_HOSTS"):
        read_config(env_of({**PRODUCTION, "MARKETPLACE_ALLOWED_HOSTS": "*"}))


def test_production_fully_configured():
    config = read_config(env_of(PRODUCTION))
    assert config.production
    assert config.allowed_hosts == ["marketplace.example.com", "api.marketplace.example.com"]


def test_require_secret(monkeypatch):
    monkeypatch.delenv("SOME_WEBHOOK_SECRET", raising=False)
    monkeypatch.setenv("MARKETPLACE_ENV", "development")
    assert require_secret("SOME_WEBHOOK_SECRET", "dev-secret") == "dev-secret"

    monkeypatch.setenv("MARKETPLACE_ENV", "production")
    with pytest.raises(ImproperlyConfiguredPlatform, match="SOME_WEBHOOK_SECRET"):
        require_secret("SOME_WEBHOOK_SECRET", "dev-secret")

    monkeypatch.setenv("SOME_WEBHOOK_SECRET", "whsec_9fK2mQx7Lr4TzB8vNc1YpH6sDa3GeU5o")
    assert require_secret("SOME_WEBHOOK_SECRET", "dev-secret") == "whsec_9fK2mQx7Lr4TzB8vNc1YpH6sDa3GeU5o"


@pytest.mark.parametrize("value, reason", [
    ("whsec_example_change_me", "placeholder"),  # the Kubernetes example secrets
    ("change-me", "placeholder"),  # compose/.env.example before init-secrets.sh
    ("whsec_k2Hq8", "shorter than 32"),
])
def test_production_refuses_a_placeholder_or_short_secret_and_names_it(monkeypatch, value, reason):
    monkeypatch.setenv("MARKETPLACE_ENV", "production")
    monkeypatch.setenv("SOME_WEBHOOK_SECRET", value)
    with pytest.raises(ImproperlyConfiguredPlatform, match=f"SOME_WEBHOOK_SECRET .*{reason}"):
        require_secret("SOME_WEBHOOK_SECRET", "dev-secret")


def test_development_takes_any_secret(monkeypatch):
    monkeypatch.setenv("MARKETPLACE_ENV", "development")
    monkeypatch.setenv("SOME_WEBHOOK_SECRET", "change-me")
    assert require_secret("SOME_WEBHOOK_SECRET", "dev-secret") == "change-me"


def test_production_names_every_placeholder_at_once():
    with pytest.raises(ImproperlyConfiguredPlatform) as caught:
        read_config(env_of({
            **PRODUCTION,
            "MARKETPLACE_SECRET_KEY": "example-not-secret-change-me",
            "MARKETPLACE_DATABASE_URL": "postgres://marketplace:example@marketplace-db-rw:5432",
            "MARKETPLACE_REDIS_URL": "redis://:change-me@cache.internal:6379/0",
        }))
    message = str(caught.value)
    assert "MARKETPLACE_SECRET_KEY is a placeholder" in message
    assert "MARKETPLACE_DATABASE_URL has a placeholder password" in message
    assert "MARKETPLACE_REDIS_URL has a placeholder password" in message
    assert "MARKETPLACE_BROKER_URL" not in message


def test_production_refuses_a_short_secret_key():
    with pytest.raises(ImproperlyConfiguredPlatform, match="MARKETPLACE_SECRET_KEY is shorter than 32"):
        read_config(env_of({**PRODUCTION, "MARKETPLACE_SECRET_KEY": "Zq8rT2vLx9"}))


# --- databases, caches, email -------------------------------------------------------------------

def test_database_on_the_url_s_server_named_after_the_service(tmp_path):
    config = read_config(env_of({"MARKETPLACE_DATABASE_URL": "postgres://postgres@127.0.0.1:5432",
                                 "MARKETPLACE_VAR_DIR": str(tmp_path)}))
    database = database_settings(config, "orders")
    assert database["ENGINE"] == "marketplace_libs.postgresql"  # Django's, with a cheaper health check
    assert database["NAME"] == "marketplace_orders"
    assert database["HOST"] == "127.0.0.1"
    assert database["PORT"] == 5432
    assert database["USER"] == "postgres"
    assert database["TEST"]["NAME"] == "test_marketplace_orders"
    assert database["CONN_MAX_AGE"] == 60
    assert not (tmp_path / "db").exists()  # no SQLite directory when a server is used


def test_database_name_in_the_url_is_replaced_and_options_kept(tmp_path):
    config = read_config(env_of({
        "MARKETPLACE_DATABASE_URL": "postgres://app:p%40ss@db.internal:6543/whatever?sslmode=require",
        "MARKETPLACE_VAR_DIR": str(tmp_path),
    }))
    database = database_settings(config, "gigs")
    assert database["NAME"] == "marketplace_gigs"
    assert (database["HOST"], database["PORT"]) == ("db.internal", 6543)
    assert (database["USER"], database["PASSWORD"]) == ("app", "p@ss")
    assert database["OPTIONS"] == {"sslmode": "require", "server_side_binding": True}


def test_database_prefix_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("MARKETPLACE_DATABASE_PREFIX", "ci_")
    config = read_config(env_of({"MARKETPLACE_DATABASE_URL": "postgres://postgres@127.0.0.1:5432"}))
    assert database_settings(config, "auth")["NAME"] == "ci_auth"


def test_sqlite_under_var_without_a_database_url(tmp_path):
    config = read_config(env_of({"MARKETPLACE_VAR_DIR": str(tmp_path)}))
    database = database_settings(config, "orders")
    assert database["ENGINE"] == "django.db.backends.sqlite3"
    assert Path(database["NAME"]) == tmp_path / "db" / "marketplace_orders.sqlite3"
    assert (tmp_path / "db").is_dir()
    # Tests too on a file beside it (its locks wait their turn), not on a shared-cache memory database.
    assert Path(database["TEST"]["NAME"]) == tmp_path / "db" / "test_marketplace_orders.sqlite3"


def test_caches_on_redis_when_configured(tmp_path):
    config = read_config(env_of({"MARKETPLACE_REDIS_URL": "redis://127.0.0.1:6379/1",
                                 "MARKETPLACE_VAR_DIR": str(tmp_path)}))
    caches = cache_settings(config, "orders")
    assert caches["default"]["BACKEND"] == caches["shared"]["BACKEND"] == "django_redis.cache.RedisCache"
    assert caches["default"]["KEY_PREFIX"] == "orders"
    assert caches["shared"]["KEY_PREFIX"] == "platform"  # one prefix that every service reads


def test_caches_embedded_without_redis(tmp_path):
    config = read_config(env_of({"MARKETPLACE_VAR_DIR": str(tmp_path)}))
    caches = cache_settings(config, "orders")
    assert caches["default"]["BACKEND"].endswith("LocMemCache")
    assert caches["shared"]["BACKEND"].endswith("FileBasedCache")
    assert caches["shared"]["LOCATION"] == str(tmp_path / "cache" / "shared")


def test_email_to_files_without_a_url(tmp_path):
    config = read_config(env_of({"MARKETPLACE_VAR_DIR": str(tmp_path)}))
    assert email_settings(config) == {
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(tmp_path / "mail"),
    }
    smtp = email_settings(dataclasses.replace(config, email_url="smtp://127.0.0.1:1025"))
    assert smtp["EMAIL_BACKEND"].endswith("smtp.EmailBackend")
    assert smtp["EMAIL_PORT"] == 1025


def test_service_settings_in_production(restore_logging, tmp_path):
    config = read_config(env_of({**PRODUCTION, "MARKETPLACE_VAR_DIR": str(tmp_path)}))
    built = service_settings("orders", apps=["orders_app"], config=config)
    assert built["MARKETPLACE_SERVICE"] == "orders"
    assert built["DEBUG"] is False
    assert built["SECRET_KEY"] == PRODUCTION["MARKETPLACE_SECRET_KEY"]
    assert built["INSTALLED_APPS"][-1] == "orders_app"
    assert built["DATABASES"]["default"]["NAME"] == "marketplace_orders"
    assert built["SESSION_COOKIE_SECURE"] and built["CSRF_COOKIE_SECURE"]
    assert built["SECURE_HSTS_SECONDS"] > 0
    assert built["SESSION_COOKIE_PATH"] == "/admin/orders/"
    assert built["REST_FRAMEWORK"]["EXCEPTION_HANDLER"] == "marketplace_libs.problems.exception_handler"


def test_service_settings_in_development(restore_logging, tmp_path):
    config = read_config(env_of({"MARKETPLACE_VAR_DIR": str(tmp_path)}))
    built = service_settings("orders", apps=[], config=config)
    assert built["DATABASES"]["default"]["ENGINE"] == "django.db.backends.sqlite3"
    assert not built["SESSION_COOKIE_SECURE"]
    assert "SECURE_HSTS_SECONDS" not in built



# --- trusted proxies ------------------------------------------------------------------------------

def test_trusted_proxies_default_to_this_machine():
    assert read_config(env_of({})).trusted_proxies == ("127.0.0.1/32", "::1/128")


def test_trusted_proxies_are_networks_from_one_variable():
    config = read_config(env_of({"MARKETPLACE_TRUSTED_PROXIES": "10.0.0.0/8, 192.168.4.7,fd00::/8"}))
    assert config.trusted_proxies == ("10.0.0.0/8", "192.168.4.7/32", "fd00::/8")
    assert service_settings("libstest", apps=[], config=config)["MARKETPLACE_TRUSTED_PROXIES"] == config.trusted_proxies


def test_a_trusted_proxy_that_is_no_address_is_named():
    with pytest.raises(ImproperlyConfiguredPlatform, match="'gateway'"):
        read_config(env_of({"MARKETPLACE_TRUSTED_PROXIES": "10.0.0.0/8,gateway"}))
