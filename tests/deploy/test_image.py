"""compose/Dockerfile and its entrypoint (devtools/container.py)."""

from __future__ import annotations

import re

import pytest

from conftest import COMPOSE_DIR, REPO

DOCKERFILE = (COMPOSE_DIR / "Dockerfile").read_text()
IGNORE = (COMPOSE_DIR / "Dockerfile.dockerignore").read_text()


def _stages() -> dict[str, str]:
    stages, name = {}, None
    for line in DOCKERFILE.splitlines():
        match = re.match(r"FROM (\S+) AS (\S+)", line)
        if match:
            name = match.group(2)
            stages[name] = ""
        elif name:
            stages[name] += line + "\n"
    return stages


def test_stages_and_base():
    assert re.search(r"^ARG PYTHON_IMAGE=python:3\.11-slim", DOCKERFILE, re.M)
    assert set(_stages()) == {"build", "app", "nginx"}


def test_runtime_is_non_root_and_runs_processes_by_name():
    app = _stages()["app"]
    assert "USER 10001:10001" in app
    assert 'ENTRYPOINT ["python", "-m", "devtools.container"]' in app
    nginx = _stages()["nginx"]
    assert nginx.rstrip().splitlines()[-1] == 'CMD ["nginx"]'
    assert "USER 10001:10001" in nginx and "nginx-light" in nginx


def test_built_from_the_pinned_requirements_only():
    build = _stages()["build"]
    installs = re.findall(r"pip install ([^\n]+)", build)
    assert installs == ["--no-compile -r requirements/base.txt", "--no-deps --no-compile -e ./libs"]
    for line in (REPO / "requirements" / "base.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            assert "==" in line, f"requirements/base.txt: {line} is not pinned"


def test_everything_copied_exists_and_is_in_the_build_context():
    allowed = [line[1:].rstrip("/") for line in IGNORE.splitlines() if line.startswith("!")]
    for source in re.findall(r"^COPY (?!--from)(?:--\S+ )*(\S+) ", DOCKERFILE, re.M):
        assert (REPO / source).exists(), source
        assert any(source.rstrip("/") == entry or source.startswith(entry + "/") or entry.startswith(source.rstrip("/") + "/")
                   for entry in allowed), f"{source} is excluded by Dockerfile.dockerignore"


def test_secret_files_become_variables(tmp_path):
    from devtools.container import load_secret_files

    key = tmp_path / "key.pem"
    key.write_text("-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----\n\n")
    empty = tmp_path / "empty.pem"
    empty.write_text("")
    env = load_secret_files({
        "MARKETPLACE_JWT_PRIVATE_KEY_FILE": str(key),
        "MARKETPLACE_JWT_PREVIOUS_PRIVATE_KEY_FILE": str(empty),
        "MARKETPLACE_SECRET_KEY_FILE": str(tmp_path / "missing"),
        "MARKETPLACE_SECRET_KEY": "stale",
        "OTHER_FILE": "/nowhere",
    })
    assert env["MARKETPLACE_JWT_PRIVATE_KEY"] == "-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----\n"
    assert "MARKETPLACE_JWT_PREVIOUS_PRIVATE_KEY" not in env
    assert "MARKETPLACE_SECRET_KEY" not in env
    assert env["OTHER_FILE"] == "/nowhere"
    assert not any(name.startswith("MARKETPLACE_") and name.endswith("_FILE") for name in env)


def test_health_check_of_a_process_without_http(capsys):
    from devtools.container import healthcheck, parse

    assert healthcheck(parse("orders-worker")) == 0


def test_health_check_fails_when_nothing_answers():
    from devtools.container import Target, healthcheck

    class Closed(Target):
        @property
        def port(self):
            return 1  # nothing listens on port 1

    assert healthcheck(Closed("auth", "web"), timeout=1) == 1


@pytest.mark.parametrize("argv", [["--help"], []])
def test_help(argv, capsys):
    from devtools.container import main

    code = main(argv)
    assert "python -m devtools.container" in capsys.readouterr().out
    assert code == (0 if argv else 2)
