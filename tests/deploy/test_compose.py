"""compose/docker-compose.yml: valid against the compose specification, complete and coherent."""

from __future__ import annotations

import json
import os
from pathlib import Path

import jsonschema
import pytest

from conftest import COMPOSE_DIR, INFRASTRUCTURE, interpolate, interpolation_names, read_env_file

SCHEMA = json.loads((COMPOSE_DIR / "schemas" / "compose-spec.json").read_text())


def _validator():
    cls = jsonschema.validators.validator_for(SCHEMA)
    cls.check_schema(SCHEMA)
    return cls(SCHEMA)


def test_the_file_as_written_is_valid_compose(compose_raw):
    errors = sorted(_validator().iter_errors(compose_raw), key=lambda error: list(error.path))
    assert not errors, "\n".join(f"{list(error.path)}: {error.message}" for error in errors)


def test_the_file_as_docker_compose_reads_it_is_valid_compose(compose):
    """Interpolated with compose/.env.example (each change-me filled), as `docker compose config` would."""
    errors = sorted(_validator().iter_errors(compose), key=lambda error: list(error.path))
    assert not errors, "\n".join(f"{list(error.path)}: {error.message}" for error in errors)


def test_the_schema_catches_mistakes(compose_raw):
    broken = json.loads(json.dumps(compose_raw))
    broken["services"]["auth"]["depends_on"]["migrate"]["condition"] = "service_finished"
    broken["services"]["auth"]["restart_policy"] = "always"
    assert len(list(_validator().iter_errors(broken))) >= 2


def test_every_variable_is_in_the_example_env_file_and_nothing_else_is(compose_text, env_example):
    used = interpolation_names(compose_text)
    assert used - set(env_example) == set(), "add these to compose/.env.example"
    assert set(env_example) - used == set(), "compose/.env.example names variables compose does not use"


def test_secrets_are_required_and_never_defaulted(compose_text, env_example):
    secret_names = [name for name, value in env_example.items() if value == "change-me"]
    assert secret_names
    for name in secret_names:
        assert f"${{{name}:-" not in compose_text, f"{name} must not have a default"
        assert f"${{{name}:?" in compose_text, f"{name} must be required (${{{name}:?...}})"


def test_a_missing_secret_stops_compose(compose_raw, filled_env):
    without = {name: value for name, value in filled_env.items() if name != "MARKETPLACE_SECRET_KEY"}
    with pytest.raises(ValueError, match="MARKETPLACE_SECRET_KEY"):
        interpolate(compose_raw, without)


def test_the_env_file_is_not_committed():
    ignored = (COMPOSE_DIR.parent / ".gitignore").read_text().splitlines()
    assert "compose/.env" in ignored
    assert any(line.startswith("compose/secrets/") for line in ignored)


def test_dependencies_exist_and_their_conditions_can_be_met(compose):
    services = compose["services"]
    for name, spec in services.items():
        for dependency, rule in (spec.get("depends_on") or {}).items():
            assert dependency in services, f"{name} depends on unknown {dependency}"
            other = services[dependency]
            if rule["condition"] == "service_healthy":
                assert other.get("healthcheck"), f"{name} waits for {dependency} to be healthy: it has no health check"
            if rule["condition"] == "service_completed_successfully":
                assert other.get("restart") == "no", f"{dependency} is a one-shot: restart: \"no\""


def test_no_dependency_cycle(compose):
    services = compose["services"]
    state: dict[str, str] = {}

    def visit(name, trail):
        if state.get(name) == "done":
            return
        assert state.get(name) != "visiting", f"dependency cycle: {' -> '.join(trail + [name])}"
        state[name] = "visiting"
        for dependency in services[name].get("depends_on") or {}:
            visit(dependency, trail + [name])
        state[name] = "done"

    for name in services:
        visit(name, [])


def test_every_platform_process_waits_for_the_migration(platform_services):
    for name, spec in platform_services.items():
        if name == "nginx":  # after the web processes, each of which waits for the migration
            assert all(rule["condition"] == "service_healthy" for rule in spec["depends_on"].values())
            assert all("migrate" in platform_services[other]["depends_on"]
                       for other in spec["depends_on"] if other != "minio")  # minio: infrastructure
        else:
            assert spec["depends_on"]["migrate"]["condition"] == "service_completed_successfully", name


def test_long_running_containers_restart_and_one_shots_do_not(compose):
    for name, spec in compose["services"].items():
        one_shot = name in ("migrate", "elastic-setup", "kibana-setup", "minio-setup")
        assert spec.get("restart") == ("no" if one_shot else "unless-stopped"), name


def test_platform_containers_run_the_image_unprivileged(platform_services, compose):
    for name, spec in {**platform_services, "migrate": compose["services"]["migrate"]}.items():
        assert spec["build"]["dockerfile"] == "compose/Dockerfile", name
        assert spec["build"]["target"] == ("nginx" if name == "nginx" else "app"), name
        assert "user" not in spec, f"{name}: the image's own non-root user, please"
        assert spec["cap_drop"] == ["ALL"], name
        assert "no-new-privileges:true" in spec["security_opt"], name
        assert not spec.get("privileged"), name


def test_only_the_gateway_is_published_to_the_world(compose):
    for name, spec in compose["services"].items():
        for port in spec.get("ports", []):
            if name == "nginx":
                assert port.endswith(":8080")
            else:
                assert port.startswith("127.0.0.1:"), f"{name} publishes {port} beyond this machine"


def test_mounted_files_exist(compose):
    for name, spec in compose["services"].items():
        for volume in spec.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("./"):
                assert (COMPOSE_DIR / source).exists(), f"{name} mounts {source}, which does not exist"
            elif not source.startswith("/"):
                assert source in compose["volumes"], f"{name}: volume {source} is not declared"
        for secret in spec.get("secrets", []):
            assert secret in compose["secrets"], f"{name}: secret {secret} is not declared"


def test_production_settings_pass_the_platforms_own_checks(platform_services, monkeypatch):
    """MARKETPLACE_ENV=production refuses insecure defaults: the compose environment has none."""
    from marketplace_libs.config import read_config, require_secret

    for name, spec in platform_services.items():
        if name == "nginx":
            continue
        environment = spec["environment"]
        assert environment["MARKETPLACE_ENV"] == "production", name
        for variable in [key for key in os.environ if key.startswith("MARKETPLACE_")]:
            monkeypatch.delenv(variable)
        for variable, value in environment.items():
            monkeypatch.setenv(variable, str(value))
        config = read_config()  # raises ImproperlyConfiguredPlatform when something is missing
        assert config.production and config.database_url and config.broker_url and config.redis_url
        assert config.elasticsearch_url, name
        require_secret("MARKETPLACE_PAYMENT_WEBHOOK_SECRET", "development")


def test_the_signing_key_reaches_only_the_auth_service(platform_services):
    holders = {name for name, spec in platform_services.items()
               if "MARKETPLACE_JWT_PRIVATE_KEY_FILE" in (spec.get("environment") or {})}
    assert holders == {"auth", "auth-worker"}
    for name in holders:
        environment = platform_services[name]["environment"]
        assert environment["MARKETPLACE_JWT_PRIVATE_KEY_FILE"] == "/run/secrets/jwt_private_key"
        assert set(platform_services[name]["secrets"]) == {"jwt_private_key", "jwt_previous_private_key"}


def test_nginx_gets_no_secret(platform_services):
    environment = platform_services["nginx"]["environment"]
    assert all(name.startswith(("MARKETPLACE_GATEWAY_", "MARKETPLACE_SOCKET_", "MARKETPLACE_TRUSTED_PROXIES",
                                "MARKETPLACE_MAX_UPLOAD_MB"))
               for name in environment)


def test_init_secrets_fills_every_placeholder(tmp_path):
    import shutil
    import subprocess

    if not shutil.which("openssl"):
        pytest.skip("openssl is not installed")
    for name in ("init-secrets.sh", ".env.example"):
        shutil.copy(COMPOSE_DIR / name, tmp_path / name)
    subprocess.run(["sh", str(tmp_path / "init-secrets.sh")], check=True, capture_output=True)
    made = read_env_file(tmp_path / ".env")
    assert "change-me" not in made.values()
    assert set(made) == set(read_env_file(COMPOSE_DIR / ".env.example"))
    assert len({made["POSTGRES_PASSWORD"], made["REDIS_PASSWORD"], made["MARKETPLACE_SECRET_KEY"]}) == 3
    key = (tmp_path / "secrets" / "jwt_private_key.pem").read_text()
    assert key.startswith("-----BEGIN PRIVATE KEY-----")
    assert (tmp_path / "secrets" / "jwt_previous_private_key.pem").read_text() == ""
    assert (tmp_path / ".env").stat().st_mode & 0o077 == 0
    assert Path(tmp_path / "secrets").stat().st_mode & 0o077 == 0


def test_infrastructure_list_is_current(compose):
    assert INFRASTRUCTURE <= set(compose["services"])
