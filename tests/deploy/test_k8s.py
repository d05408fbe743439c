"""compose/k8s/: every overlay renders, every object is valid against Kubernetes' own schemas
(kubernetes-validate, offline), and the pieces fit together."""

from __future__ import annotations

import shutil
import subprocess

import kubernetes_validate
import pytest
import yaml
from kubernetes_validate import utils as kv_utils

import kustomize_lite
from conftest import COMPOSE_DIR

K8S = COMPOSE_DIR / "k8s"
OVERLAYS = sorted(path.name for path in (K8S / "overlays").iterdir() if (path / "kustomization.yaml").exists())
# The oldest Kubernetes the manifests promise to fit, and the newest the validator knows.
VERSIONS = ["1.30.0", kv_utils.latest_version()]
OPERATOR_KINDS = {("monitoring.coreos.com/v1", "PrometheusRule"), ("monitoring.coreos.com/v1", "PodMonitor")}
# Made outside the repository in production (docs/deploy.md).
EXTERNAL_SECRETS = {"marketplace-secrets", "marketplace-jwt", "marketplace-tls"}


def key(item: dict) -> tuple:
    return item["kind"], item["metadata"].get("namespace", ""), item["metadata"]["name"]


@pytest.fixture(scope="module", params=OVERLAYS)
def overlay(request):
    return request.param, kustomize_lite.render(K8S / "overlays" / request.param)


def test_there_are_staging_and_production_overlays():
    assert {"staging", "production"} <= set(OVERLAYS)


@pytest.mark.parametrize("version", VERSIONS)
def test_every_object_is_valid_kubernetes(overlay, version):
    name, objects = overlay
    problems = []
    for item in objects:
        if (item["apiVersion"], item["kind"]) in OPERATOR_KINDS:
            continue
        try:
            kubernetes_validate.validate(item, version, strict=True)
        except kv_utils.SchemaNotFoundError as error:
            problems.append(f"{key(item)}: {error.message}")
        except kubernetes_validate.ValidationError as error:
            problems.append(f"{key(item)} at {'/'.join(map(str, error.path))}: {error.message}")
    assert not problems, f"{name}:\n" + "\n".join(problems)


def test_the_validator_catches_mistakes():
    deployment = next(item for item in kustomize_lite.render(K8S / "base") if item["kind"] == "Deployment")
    deployment["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]["periodSecond"] = 5
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, VERSIONS[0], strict=True)


def test_operator_objects_are_well_formed(overlay):
    _, objects = overlay
    rules = yaml.safe_load((COMPOSE_DIR / "prometheus" / "alerts.yml").read_text())
    for item in objects:
        if item["kind"] == "PrometheusRule":
            assert item["spec"]["groups"] == rules["groups"]
        if item["kind"] == "PodMonitor":
            assert item["spec"]["podMetricsEndpoints"][0]["path"] == "/metrics"


@pytest.mark.skipif(not (shutil.which("kustomize") or shutil.which("kubectl")), reason="no kustomize or kubectl here")
@pytest.mark.parametrize("name", OVERLAYS)
def test_kustomize_renders_what_the_small_renderer_does(name):
    command = (["kustomize", "build"] if shutil.which("kustomize") else ["kubectl", "kustomize"])
    result = subprocess.run([*command, str(K8S / "overlays" / name)], capture_output=True, text=True, timeout=120)
    if result.returncode and "unknown command" in result.stderr:
        pytest.skip(result.stderr.strip())
    assert result.returncode == 0, result.stderr
    theirs = {key(item): item for item in yaml.safe_load_all(result.stdout) if item}
    ours = {key(item): item for item in kustomize_lite.render(K8S / "overlays" / name)}
    assert set(ours) == set(theirs)
    for object_key, item in ours.items():
        assert item == theirs[object_key], object_key


def _by_kind(objects, kind):
    return {item["metadata"]["name"]: item for item in objects if item["kind"] == kind}


def _pod(deployment):
    return deployment["spec"]["template"]["spec"]


def test_web_processes_have_probes_and_shut_down_gracefully(overlay):
    _, objects = overlay
    for name, deployment in _by_kind(objects, "Deployment").items():
        pod = _pod(deployment)
        main = pod["containers"][0]
        component = deployment["metadata"]["labels"]["app.kubernetes.io/component"]
        assert pod["terminationGracePeriodSeconds"] >= 30, name
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        assert main["securityContext"]["allowPrivilegeEscalation"] is False, name
        assert main["resources"]["requests"] and main["resources"]["limits"]["memory"], name
        if component in ("gateway", "web"):
            assert main["readinessProbe"]["httpGet"]["path"] == "/readyz", name
            assert main["livenessProbe"]["httpGet"]["path"] == "/healthz", name
            assert main["lifecycle"]["preStop"], name
            assert pod["terminationGracePeriodSeconds"] > 5 + 20, f"{name}: preStop pause + gunicorn's graceful timeout"
        if component == "nginx":
            assert "kill -QUIT 1" in main["lifecycle"]["preStop"]["exec"]["command"][-1]
            assert main["readinessProbe"] and main["livenessProbe"]
        if component == "worker":
            assert pod["terminationGracePeriodSeconds"] >= 60, f"{name}: Celery's warm shutdown"
        if component == "beat":
            assert deployment["spec"]["replicas"] == 1 and deployment["spec"]["strategy"]["type"] == "Recreate", name


def test_autoscalers_budgets_and_services_point_at_something(overlay):
    _, objects = overlay
    deployments = _by_kind(objects, "Deployment")
    pod_labels = {name: _pod(deployment) and deployment["spec"]["template"]["metadata"]["labels"]
                  for name, deployment in deployments.items()}

    def selected(selector):
        return [name for name, labels in pod_labels.items() if selector.items() <= labels.items()]

    for name, hpa in _by_kind(objects, "HorizontalPodAutoscaler").items():
        assert hpa["spec"]["scaleTargetRef"]["name"] in deployments, name
        assert "replicas" not in deployments[hpa["spec"]["scaleTargetRef"]["name"]]["spec"], \
            f"{name}: an autoscaled Deployment must not set replicas (every apply would reset them)"
        assert hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"]
    for name, budget in _by_kind(objects, "PodDisruptionBudget").items():
        assert selected(budget["spec"]["selector"]["matchLabels"]) == [name]
    for name, service in _by_kind(objects, "Service").items():
        assert selected(service["spec"]["selector"]) == [name]
    for name, deployment in deployments.items():
        assert deployment["spec"]["selector"]["matchLabels"].items() <= pod_labels[name].items()
    autoscaled = {hpa["spec"]["scaleTargetRef"]["name"] for hpa in _by_kind(objects, "HorizontalPodAutoscaler").values()}
    for name, deployment in deployments.items():
        component = deployment["metadata"]["labels"]["app.kubernetes.io/component"]
        assert (name in autoscaled) == (component in ("nginx", "gateway", "web", "worker")), name


def test_ingress_sends_everything_to_the_gateway(overlay):
    _, objects = overlay
    services = _by_kind(objects, "Service")
    for ingress in _by_kind(objects, "Ingress").values():
        for rule in ingress["spec"]["rules"]:
            for path in rule["http"]["paths"]:
                backend = path["backend"]["service"]
                assert backend["name"] == "nginx" and path["path"] == "/"
                assert backend["port"]["name"] in {port["name"] for port in services["nginx"]["spec"]["ports"]}
        assert rule["host"] in ingress["spec"]["tls"][0]["hosts"]


def test_configuration_and_secrets_exist(overlay):
    name, objects = overlay
    configmaps = set(_by_kind(objects, "ConfigMap"))
    secrets = set(_by_kind(objects, "Secret")) or set()
    available_secrets = secrets | (EXTERNAL_SECRETS if name == "production" else set())
    claims = set(_by_kind(objects, "PersistentVolumeClaim"))
    for item in objects:
        if item["kind"] not in ("Deployment", "Job"):
            continue
        pod = item["spec"]["template"]["spec"]
        for container in pod["containers"]:
            for source in container.get("envFrom", []):
                if "configMapRef" in source:
                    assert source["configMapRef"]["name"] in configmaps
                if "secretRef" in source:
                    assert source["secretRef"]["name"] in available_secrets, (name, source)
        for volume in pod.get("volumes", []):
            if "secret" in volume:
                assert volume["secret"]["secretName"] in available_secrets
            if "persistentVolumeClaim" in volume:
                assert volume["persistentVolumeClaim"]["claimName"] in claims
    if name == "production":
        assert not secrets, "production's secrets are made outside the repository"


def test_migrations_job_runs_the_migrate_command(overlay):
    _, objects = overlay
    job = _by_kind(objects, "Job")["migrate"]
    assert job["spec"]["template"]["spec"]["containers"][0]["args"] == ["migrate"]
    assert job["spec"]["template"]["spec"]["restartPolicy"] == "Never"


def test_images_are_the_overlays(overlay):
    name, objects = overlay
    for deployment in _by_kind(objects, "Deployment").values():
        image = _pod(deployment)["containers"][0]["image"]
        assert image.startswith("registry.example.com/marketplace/") and not image.endswith(":latest"), (name, image)
