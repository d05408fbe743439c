"""The compose stack and the Kubernetes manifests run what `manage_all.py up` runs: the same
processes under the same names, the same command lines, the same environment variable names and
the nginx config rendered from the same template."""

from __future__ import annotations

import os
import re


import pytest
import yaml

from conftest import COMPOSE_DIR, REPO, dockerfile_env

UP_ONLY = {"MARKETPLACE_VAR_DIR"}  # set by the test to keep files in a temporary folder


@pytest.fixture(scope="session")
def compose_env(platform_services) -> dict[str, str]:
    """What a platform container's process sees (the image's own variables and nginx's included)."""
    env = dockerfile_env()
    env.update({key: str(value) for key, value in platform_services["auth"]["environment"].items()})
    env.update({key: str(value) for key, value in platform_services["nginx"]["environment"].items()})
    return env


@pytest.fixture(scope="session")
def up(reports, compose_env, tmp_path_factory):
    """`manage_all.py up`'s processes (devtools.processes.platform_processes) in compose's environment,
    and the environment they were made in."""
    from devtools import container, nginx, processes

    var = tmp_path_factory.mktemp("var")
    env = {**compose_env, "MARKETPLACE_VAR_DIR": str(var)}
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MARKETPLACE_SOCKET_PROCESSES", compose_env["MARKETPLACE_SOCKET_PROCESSES"])
        patch.delenv("MARKETPLACE_PORT_BASE", raising=False)
        patch.delenv("MARKETPLACE_GATEWAY_PORT", raising=False)
        patch.setattr(nginx, "ensure_installed", lambda: nginx.nginx_binary() or "/usr/sbin/nginx")
        patch.setattr(nginx, "test_config", lambda binary, conf: None)  # `manage_all.py check` runs nginx -t
        patch.setattr(processes, "service_reports", lambda _env: reports)
        found = processes.platform_processes(env, var / "run")
        up_conf = (var / "run" / "nginx" / "nginx.conf").read_text()
        targets = {process.name: container.parse(process.name) for process in found}
        web = {name: target.port for name, target in targets.items() if target.kind in ("gateway", "web")}
    return {"processes": {process.name: process for process in found}, "env": env, "var": var,
            "nginx_conf": up_conf, "web": web}


@pytest.fixture
def container_world(compose_env, monkeypatch):
    from devtools import container

    monkeypatch.setenv("MARKETPLACE_SOCKET_PROCESSES", compose_env["MARKETPLACE_SOCKET_PROCESSES"])
    monkeypatch.delenv("MARKETPLACE_PORT_BASE", raising=False)
    monkeypatch.delenv("MARKETPLACE_GATEWAY_PORT", raising=False)
    return container


def web_names(up) -> dict[str, int]:
    """Web processes of `up` (gateway included) and their ports."""
    return up["web"]


# --- processes and commands ----------------------------------------------------------------------

def test_compose_runs_exactly_the_processes_of_up(up, platform_services):
    assert set(platform_services) == set(up["processes"])


def test_every_service_has_its_web_process_relay_worker_and_beat(up, reports):
    from marketplace_libs.topology import present_services

    names = set(up["processes"])
    for spec in present_services():
        assert {spec.name, f"{spec.name}-relay"} <= names
        if spec.asgi:
            assert f"{spec.name}-2" in names
        wants_worker = bool(reports[spec.name]["subscriptions"] or reports[spec.name]["periodic_tasks"])
        assert (f"{spec.name}-worker" in names) == wants_worker
        assert (f"{spec.name}-beat" in names) == bool(reports[spec.name]["periodic_tasks"])


def test_each_container_is_told_its_process_by_name(up, platform_services):
    for name, spec in platform_services.items():
        assert spec["command"] == [name], f"{name}: command must be [{name!r}] (devtools/container.py)"


def test_container_command_lines_are_ups_own(up, container_world):
    container = container_world
    for name, process in up["processes"].items():
        target = container.parse(name)
        ours = container.command_line(target, up["env"], test_nginx=False)
        if target.kind in ("gateway", "web"):
            assert ours == container.listen_everywhere(process.command), name
            # ...and listening everywhere is the only difference.
            assert _normalised(ours) == _normalised(process.command), name
        else:
            assert ours == process.command, name
        assert target.cwd == process.cwd, name
        assert container.extra_environment(target, up["env"]) == process.env, name


def _normalised(command: str) -> str:
    return re.sub(r"(127\.0\.0\.1|0\.0\.0\.0)", "ADDRESS", command)


def test_listen_everywhere_refuses_an_unknown_command():
    from devtools import container

    with pytest.raises(RuntimeError):
        container.listen_everywhere("gunicorn config.wsgi --bind=127.0.0.1:8101")


def test_names_parse_back_to_their_process(up, container_world):
    container = container_world
    for name in up["processes"]:
        assert container.parse(name).name == name
    with pytest.raises(SystemExit):
        container.parse("nosuchservice-worker")


# --- nginx -----------------------------------------------------------------------------------------

def test_nginx_config_is_ups_rendering_with_container_addresses(up, container_world, tmp_path):
    container = container_world
    env = {**up["env"], "MARKETPLACE_VAR_DIR": str(tmp_path)}
    ours = container.render_nginx(env).read_text().replace(str(tmp_path), "VAR")
    theirs = up["nginx_conf"].replace(str(up["var"]), "VAR")
    assert "Rendered from gateway/nginx/nginx.conf.template" in ours
    ours_lines, their_lines = ours.splitlines(), theirs.splitlines()
    assert len(ours_lines) == len(their_lines)
    changed = [(a, b) for a, b in zip(their_lines, ours_lines) if a != b]
    assert changed, "the container config must name the containers"
    for local, contained in changed:
        assert re.fullmatch(r"\s*server 127\.0\.0\.1:\d+( max_fails=1 fail_timeout=2s)?;", local), local
        assert re.fullmatch(r"\s*server [a-z0-9-]+:\d+( max_fails=1 fail_timeout=2s)?;", contained), contained
    assert not re.search(r"127\.0\.0\.1:\d", ours)  # no local upstream left (set_real_ip_from may name it)


def test_nginx_upstreams_are_the_web_containers(up, container_world, platform_services, tmp_path):
    container = container_world
    env = {**up["env"], "MARKETPLACE_VAR_DIR": str(tmp_path)}
    text = container.render_nginx(env).read_text()
    upstreams = dict(re.findall(r"server ([a-z0-9-]+):(\d+)", text))
    assert {name: int(port) for name, port in upstreams.items()} == web_names(up)
    for name in upstreams:
        assert platform_services[name]["healthcheck"]["test"][-1] == "healthcheck", name
    assert re.search(r"listen 0\.0\.0\.0:8080 reuseport;", text)
    # and MinIO, the upstream of /storage/ (presigned URLs), whose name nginx resolves when it starts
    assert set(platform_services["nginx"]["depends_on"]) == set(web_names(up)) | {"minio"}


def test_nginx_command_is_ups(up, container_world):
    container = container_world
    ours = container.command_line(container.parse("nginx"), up["env"], test_nginx=False)
    assert ours == up["processes"]["nginx"].command


# --- environment ------------------------------------------------------------------------------------

def _compose_env_names(compose) -> set[str]:
    names = set()
    for spec in compose["services"].values():
        names.update(key for key in (spec.get("environment") or {}) if key.startswith("MARKETPLACE_"))
    return names


def _k8s_env_names() -> set[str]:
    names = set()
    for path in (COMPOSE_DIR / "k8s").rglob("*.yaml"):
        for doc in yaml.safe_load_all(path.read_text()):
            if not doc or "kind" not in doc:
                continue
            if doc["kind"] in ("ConfigMap", "Secret"):
                names.update(key for key in {**doc.get("data", {}), **doc.get("stringData", {})}
                             if key.startswith("MARKETPLACE_"))
            for item in _walk(doc):
                if isinstance(item, dict) and str(item.get("name", "")).startswith("MARKETPLACE_") and "value" in item:
                    names.add(item["name"])
    return names


def _walk(node):
    yield node
    if isinstance(node, dict):
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def _dockerfile_env_names() -> set[str]:
    return set(dockerfile_env())


def test_every_variable_is_one_the_platform_reads(compose, env_example, code_env_names):
    used = (_compose_env_names(compose) | _k8s_env_names() | _dockerfile_env_names()
            | {name for name in env_example if name.startswith("MARKETPLACE_")})
    unknown = {name for name in used
               if name not in code_env_names
               and not (name.endswith("_FILE") and name[: -len("_FILE")] in code_env_names)}
    assert not unknown, f"variables no code reads (typos?): {sorted(unknown)}"


def test_every_variable_is_documented(compose, documented_env_names):
    used = _compose_env_names(compose) | _k8s_env_names() | _dockerfile_env_names()
    assert used - documented_env_names == set(), "document them in docs/running.md or docs/deploy.md"


def test_compose_and_kubernetes_set_the_same_variables(compose):
    assert _compose_env_names(compose) == _k8s_env_names()


def test_production_needs_are_met_in_kubernetes():
    config = yaml.safe_load((COMPOSE_DIR / "k8s" / "base" / "config.yaml").read_text())["data"]
    secrets = next(yaml.safe_load_all((COMPOSE_DIR / "k8s" / "secrets-example" / "secrets.example.yaml").read_text()))
    names = set(config) | set(secrets["stringData"])
    assert config["MARKETPLACE_ENV"] == "production"
    assert {"MARKETPLACE_SECRET_KEY", "MARKETPLACE_DATABASE_URL", "MARKETPLACE_BROKER_URL", "MARKETPLACE_REDIS_URL",
            "MARKETPLACE_ALLOWED_HOSTS", "MARKETPLACE_PAYMENT_WEBHOOK_SECRET", "MARKETPLACE_AUTH_JWKS_URL"} <= names
    assert "*" not in config["MARKETPLACE_ALLOWED_HOSTS"].split(",")


def test_allowed_hosts_name_every_caller(up, platform_services):
    hosts = set(platform_services["auth"]["environment"]["MARKETPLACE_ALLOWED_HOSTS"].split(","))
    assert set(web_names(up)) | {"localhost", "127.0.0.1"} <= hosts
    assert "*" not in hosts
    config = yaml.safe_load((COMPOSE_DIR / "k8s" / "base" / "config.yaml").read_text())["data"]
    k8s_hosts = set(config["MARKETPLACE_ALLOWED_HOSTS"].split(","))
    k8s_web = {name for name in web_names(up) if not re.search(r"-\d+$", name)}
    assert k8s_web | {"localhost", "127.0.0.1"} <= k8s_hosts


def test_every_platform_container_has_the_same_environment(platform_services):
    reference = platform_services["auth"]["environment"]
    for name, spec in platform_services.items():
        if name == "nginx":
            continue
        environment = {key: value for key, value in spec["environment"].items() if not key.endswith("_FILE")}
        assert environment == {key: value for key, value in reference.items() if not key.endswith("_FILE")}, name


def test_jwks_url_points_at_the_auth_container(platform_services):
    from marketplace_libs.topology import service

    url = platform_services["gateway"]["environment"]["MARKETPLACE_AUTH_JWKS_URL"]
    assert url == f"http://auth:{service('auth').port}/api/auth/.well-known/jwks.json"


# --- health and metrics ----------------------------------------------------------------------------

def test_every_web_process_has_a_health_check(up, platform_services):
    for name in web_names(up):
        test = platform_services[name]["healthcheck"]["test"]
        assert test == ["CMD", "python", "-m", "devtools.container", "healthcheck"], name


def _metrics_targets(up, container) -> dict[str, dict]:
    """Every process of `up` that exports metrics: web processes on their port, relays and workers
    on theirs (libs/marketplace_libs/metrics.py); name:port -> the labels a target should carry."""
    from marketplace_libs.metrics import metrics_port

    expected = {}
    for name in up["processes"]:
        target = container.parse(name)
        service = target.spec.name if target.spec else "gateway"
        if target.kind in ("gateway", "web"):
            expected[f"{name}:{target.port}"] = {"service": service, "process": name, "role": "web"}
        elif target.kind in ("relay", "worker"):
            port = metrics_port(target.kind, service, env={})
            expected[f"{name}:{port}"] = {"service": service, "process": name, "role": target.kind}
    return expected


def test_prometheus_scrapes_every_process_that_exports_metrics(up, container_world):
    config = yaml.safe_load((COMPOSE_DIR / "prometheus" / "prometheus.yml").read_text())
    job = next(job for job in config["scrape_configs"] if job["job_name"] == "marketplace")
    assert job["metrics_path"] == "/metrics"
    targets = {}
    for group in job["static_configs"]:
        for target in group["targets"]:
            targets[target] = group["labels"]
    assert targets == _metrics_targets(up, container_world)


def test_relays_and_workers_export_to_the_network(compose_env):
    # prometheus_client's exporter binds 127.0.0.1 unless told otherwise; Prometheus is another container.
    assert compose_env["MARKETPLACE_METRICS_ADDRESS"] == "0.0.0.0"
    assert "MARKETPLACE_METRICS_PORT" not in compose_env, "the default ports are the ones scraped"


# --- Kubernetes --------------------------------------------------------------------------------------

def test_generated_kubernetes_manifests_are_current(reports, monkeypatch):
    from devtools import deploy_manifests

    monkeypatch.setattr(os, "environ", dict(os.environ))  # _pristine_topology edits it
    deploy_manifests._pristine_topology()
    stale = [str(path.relative_to(REPO)) for path, text in deploy_manifests.files(reports).items()
             if not path.exists() or path.read_text() != text]
    assert not stale, f"stale; run .venv/bin/python -m devtools.deploy_manifests: {stale}"


def test_kubernetes_runs_the_processes_of_up(up):
    docs = [doc for doc in yaml.safe_load_all((COMPOSE_DIR / "k8s" / "base" / "processes.yaml").read_text()) if doc]
    deployments = {doc["metadata"]["name"]: doc for doc in docs if doc["kind"] == "Deployment"}
    # One web process per socket service; their replicas are its other processes.
    expected = {name for name in up["processes"] if not re.search(r"-\d+$", name)}
    assert set(deployments) == expected
    services = {doc["metadata"]["name"]: doc for doc in docs if doc["kind"] == "Service"}
    for name, port in web_names(up).items():
        if re.search(r"-\d+$", name):
            continue
        assert services[name]["spec"]["ports"][0]["port"] == port, name
        main = deployments[name]["spec"]["template"]["spec"]["containers"][0]
        assert main["ports"][0]["containerPort"] == port
    for name, deployment in deployments.items():
        assert deployment["spec"]["template"]["spec"]["containers"][0]["args"] == [name]


def test_kubernetes_exposes_the_same_metrics_ports(up, container_world):
    docs = [doc for doc in yaml.safe_load_all((COMPOSE_DIR / "k8s" / "base" / "processes.yaml").read_text()) if doc]
    ports = {}
    for doc in docs:
        if doc["kind"] == "Deployment":
            for port in doc["spec"]["template"]["spec"]["containers"][0].get("ports", []):
                ports[f"{doc['metadata']['name']}:{port['containerPort']}"] = port["name"]
    for target, labels in _metrics_targets(up, container_world).items():
        if re.search(r"-\d+:", target):
            continue  # one web process per socket-service pod
        assert ports.get(target) == ("http" if labels["role"] == "web" else "metrics"), target
    monitor = yaml.safe_load_all((COMPOSE_DIR / "k8s" / "monitoring" / "pod-monitor.yaml").read_text())
    endpoints = next(doc for doc in monitor if doc)["spec"]["podMetricsEndpoints"]
    assert {endpoint["port"] for endpoint in endpoints} == {"http", "metrics"}
