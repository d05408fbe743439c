"""A small renderer of kustomizations: the subset compose/k8s/ uses, so the manifests can be checked
where neither kustomize nor kubectl is installed. Whatever it does not know, it refuses (a new
kustomize feature in compose/k8s/ must be taught here, or the tests fail). When kubectl or
kustomize is installed, test_k8s.py checks that both render the same objects.

Known: resources (files and directories), namespace, labels (without selectors), images, replicas,
patches (JSON 6902 lists, or strategic-merge mappings whose lists are replaced, containers merged
by name), each patch with a target of kind, name and/or namespace.
"""

from __future__ import annotations

import copy
from pathlib import Path

import yaml

KNOWN_FIELDS = {"apiVersion", "kind", "resources", "namespace", "labels", "images", "replicas", "patches"}
CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding", "PersistentVolume", "StorageClass",
                  "CustomResourceDefinition", "PriorityClass", "IngressClass"}
POD_TEMPLATE_KINDS = {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"}


class Unsupported(Exception):
    pass


def render(directory: Path) -> list[dict]:
    directory = Path(directory)
    kustomization = yaml.safe_load((directory / "kustomization.yaml").read_text())
    unknown = set(kustomization) - KNOWN_FIELDS
    if unknown:
        raise Unsupported(f"{directory}: kustomization fields not understood here: {sorted(unknown)}")
    objects: list[dict] = []
    for entry in kustomization.get("resources", []):
        path = (directory / entry).resolve()
        if path.is_dir():
            objects.extend(render(path))
        else:
            objects.extend(doc for doc in yaml.safe_load_all(path.read_text()) if doc)
    for patch in kustomization.get("patches", []):
        _apply_patch(objects, patch, directory)
    if "namespace" in kustomization:
        for item in objects:
            if item["kind"] not in CLUSTER_SCOPED:
                item["metadata"]["namespace"] = kustomization["namespace"]
    for entry in kustomization.get("labels", []):
        if entry.get("includeSelectors") or entry.get("includeTemplates"):
            raise Unsupported("labels with includeSelectors/includeTemplates")
        for item in objects:
            item["metadata"].setdefault("labels", {}).update(entry["pairs"])
    for entry in kustomization.get("replicas", []):
        matched = [item for item in objects if item["metadata"]["name"] == entry["name"]
                   and item["kind"] in {"Deployment", "StatefulSet", "ReplicaSet"}]
        if not matched:
            raise Unsupported(f"replicas: nothing is named {entry['name']}")
        for item in matched:
            item["spec"]["replicas"] = entry["count"]
    for entry in kustomization.get("images", []):
        for item in objects:
            for container in _containers(item):
                container["image"] = _retag(container["image"], entry)
    return objects


def _containers(item: dict) -> list[dict]:
    if item["kind"] not in POD_TEMPLATE_KINDS:
        return []
    pod = item["spec"]["template"]["spec"]
    return [*pod.get("initContainers", []), *pod.get("containers", [])]


def _retag(image: str, entry: dict) -> str:
    name, tag = image, None
    if "@" in name:
        name, _, _ = name.partition("@")
    elif ":" in name.rsplit("/", 1)[-1]:
        name, _, tag = name.rpartition(":")
    if name != entry["name"]:
        return image
    name = entry.get("newName", name)
    if "digest" in entry:
        return f"{name}@{entry['digest']}"
    tag = entry.get("newTag", tag)
    return f"{name}:{tag}" if tag else name


def _matches(item: dict, target: dict) -> bool:
    unknown = set(target) - {"kind", "name", "namespace", "group", "version"}
    if unknown:
        raise Unsupported(f"patch target fields {sorted(unknown)}")
    if "kind" in target and item["kind"] != target["kind"]:
        return False
    if "name" in target and item["metadata"]["name"] != target["name"]:
        return False
    if "namespace" in target and item["metadata"].get("namespace") != target["namespace"]:
        return False
    return True


def _apply_patch(objects: list[dict], entry: dict, directory: Path) -> None:
    text = entry.get("patch") or (directory / entry["path"]).read_text()
    patch = yaml.safe_load(text)
    target = entry.get("target")
    if isinstance(patch, list):
        if not target:
            raise Unsupported("a JSON 6902 patch needs a target")
        matched = [item for item in objects if _matches(item, target)]
        if not matched:
            raise Unsupported(f"patch target {target} matches nothing")
        for item in matched:
            for operation in patch:
                _json6902(item, operation)
        return
    target = target or {"kind": patch["kind"], "name": patch["metadata"]["name"]}
    matched = [item for item in objects if _matches(item, target)]
    if not matched:
        raise Unsupported(f"patch target {target} matches nothing")
    body = {key: value for key, value in patch.items() if key not in ("apiVersion", "kind")}
    body["metadata"] = {key: value for key, value in body.get("metadata", {}).items() if key != "name"}
    for item in matched:
        _merge(item, body)


def _merge(base: dict, patch: dict) -> None:
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            _merge(base[key], value)
        elif key in ("containers", "initContainers") and isinstance(value, list) and isinstance(base.get(key), list):
            by_name = {container["name"]: container for container in base[key]}
            for container in value:
                if container["name"] in by_name:
                    _merge(by_name[container["name"]], container)
                else:
                    base[key].append(copy.deepcopy(container))
        else:
            base[key] = copy.deepcopy(value)


def _pointer(path: str) -> list[str]:
    if not path.startswith("/"):
        raise Unsupported(f"JSON pointer {path!r}")
    return [part.replace("~1", "/").replace("~0", "~") for part in path[1:].split("/")]


def _json6902(item: dict, operation: dict) -> None:
    op, parts = operation["op"], _pointer(operation["path"])
    parent = item
    for part in parts[:-1]:
        parent = parent[int(part)] if isinstance(parent, list) else parent[part]
    last = parts[-1]
    if op in ("replace", "add"):
        value = copy.deepcopy(operation["value"])
        if isinstance(parent, list):
            if last == "-":
                parent.append(value)
            elif op == "add":
                parent.insert(int(last), value)
            else:
                parent[int(last)] = value
        else:
            if op == "replace" and last not in parent:
                raise Unsupported(f"replace of a missing path {operation['path']}")
            parent[last] = value
    elif op == "remove":
        del parent[int(last) if isinstance(parent, list) else last]
    else:
        raise Unsupported(f"JSON 6902 op {op!r}")
