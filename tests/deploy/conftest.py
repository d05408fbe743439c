"""The deployment files (compose/) and what `manage_all.py up` runs, side by side."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
COMPOSE_DIR = REPO / "compose"
for path in (str(REPO), str(Path(__file__).parent)):
    if path not in sys.path:
        sys.path.insert(0, path)

# Processes of compose that are not processes of `up`: the servers and the one-shots.
INFRASTRUCTURE = {"postgres", "rabbitmq", "redis", "minio", "minio-setup", "elasticsearch", "elastic-setup", "kibana", "kibana-setup",
                  "filebeat", "prometheus", "migrate"}


def read_env_file(path: Path) -> dict[str, str]:
    values = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, _, value = line.partition("=")
        values[name.strip()] = value
    return values


_VARIABLE = re.compile(r"\$(?:\$|\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}"
                       r"|(?P<bare>[A-Za-z_][A-Za-z0-9_]*))")


def interpolation_names(text: str) -> set[str]:
    return {match.group("name") or match.group("bare") for match in _VARIABLE.finditer(text)
            if match.group(0) != "$$"}


def interpolate(value, variables: dict[str, str]):
    """Compose's ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error}, ${VAR?error} and $$."""
    if isinstance(value, dict):
        return {key: interpolate(item, variables) for key, item in value.items()}
    if isinstance(value, list):
        return [interpolate(item, variables) for item in value]
    if not isinstance(value, str):
        return value

    def replace(match: re.Match) -> str:
        if match.group(0) == "$$":
            return "$"
        name = match.group("name") or match.group("bare")
        op, arg = match.group("op"), match.group("arg")
        present = name in variables
        empty = not variables.get(name)
        if op in (":-", "-"):
            if (op == ":-" and empty) or not present:
                return arg
        if op in (":?", "?") and ((op == ":?" and empty) or not present):
            raise ValueError(f"{name}: {arg}")
        return variables.get(name, "")

    return _VARIABLE.sub(replace, value)


def dockerfile_env() -> dict[str, str]:
    """The MARKETPLACE_* variables the image itself sets (ENV in compose/Dockerfile)."""
    return dict(re.findall(r"(MARKETPLACE_[A-Z0-9_]+)=(\S+)", (COMPOSE_DIR / "Dockerfile").read_text()))


@pytest.fixture(scope="session")
def compose_text() -> str:
    return (COMPOSE_DIR / "docker-compose.yml").read_text()


@pytest.fixture(scope="session")
def compose_raw(compose_text) -> dict:
    return yaml.safe_load(compose_text)


@pytest.fixture(scope="session")
def env_example() -> dict[str, str]:
    return read_env_file(COMPOSE_DIR / ".env.example")


@pytest.fixture(scope="session")
def filled_env(env_example) -> dict[str, str]:
    """.env.example as init-secrets.sh makes it: every change-me a random-looking value."""
    return {name: (f"x{index:02d}0123456789abcdef0123456789abcdef" if value == "change-me" else value)
            for index, (name, value) in enumerate(env_example.items())}


@pytest.fixture(scope="session")
def compose(compose_raw, filled_env) -> dict:
    return interpolate(compose_raw, filled_env)


@pytest.fixture(scope="session")
def platform_services(compose) -> dict[str, dict]:
    """compose's services that are processes of the platform (named as `up` names them)."""
    return {name: spec for name, spec in compose["services"].items() if name not in INFRASTRUCTURE}


@pytest.fixture(scope="session")
def reports() -> dict[str, dict]:
    """Each service's subscriptions and periodic tasks, asked of the services (as `up` does)."""
    from devtools import processes

    return processes.service_reports(dict(os.environ))


@pytest.fixture(scope="session")
def code_env_names() -> set[str]:
    """Every MARKETPLACE_* name the platform's code mentions (libs, gateway, services, devtools)."""
    names = set()
    roots = [REPO / "libs" / "marketplace_libs", REPO / "gateway", REPO / "projects", REPO / "devtools"]
    for root in roots:
        for path in root.rglob("*.py"):
            if "tests" in path.parts:
                continue
            names.update(re.findall(r"MARKETPLACE_[A-Z0-9_]*[A-Z0-9]", path.read_text()))
    return names


@pytest.fixture(scope="session")
def documented_env_names() -> set[str]:
    names = set()
    for doc in ("running.md", "deploy.md", "observability.md"):
        names.update(re.findall(r"MARKETPLACE_[A-Z0-9_]*[A-Z0-9]", (REPO / "docs" / doc).read_text()))
    return names
