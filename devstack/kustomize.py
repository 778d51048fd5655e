"""Renders a kustomization the way `kustomize build` does, for the subset of features deploy/k8s uses.

There is no kustomize binary on the machines this project runs on, and none ships in a Python package, so
the tests render deploy/k8s with this and validate the result against the Kubernetes schemas that ship in
`kubernetes-validate`. Supported: `resources` (files and folders with a kustomization), `namespace`,
`labels` (without selectors), `images`, `replicas` and JSON 6902 `patches` with a kind/name target. Any
other field is refused rather than silently ignored, so the manifests cannot drift from what is checked.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

__all__ = ["KustomizeError", "build"]

Resource = dict[str, Any]
SUPPORTED = {"apiVersion", "kind", "resources", "namespace", "labels", "images", "replicas", "patches"}
CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition", "PersistentVolume"}
WORKLOADS_WITH_PODS = {"Deployment", "StatefulSet", "DaemonSet", "Job"}


class KustomizeError(ValueError):
    """The kustomization uses a feature this renderer does not support, or is malformed."""


def build(folder: Path) -> list[Resource]:
    kustomization = yaml.safe_load((folder / "kustomization.yaml").read_text())
    unsupported = set(kustomization) - SUPPORTED
    if unsupported:
        raise KustomizeError(f"{folder}: unsupported kustomization fields {sorted(unsupported)}")
    resources: list[Resource] = []
    for entry in kustomization.get("resources", []):
        path = (folder / entry).resolve()
        if path.is_dir():
            resources.extend(build(path))
        else:
            resources.extend(doc for doc in yaml.safe_load_all(path.read_text()) if doc)
    for patch in kustomization.get("patches", []):
        _apply_patch(resources, patch)
    for image in kustomization.get("images", []):
        _set_image(resources, image)
    for replicas in kustomization.get("replicas", []):
        _set_replicas(resources, replicas)
    for label_set in kustomization.get("labels", []):
        if label_set.get("includeSelectors") or label_set.get("includeTemplates"):
            raise KustomizeError("labels with includeSelectors/includeTemplates are not supported")
        for resource in resources:
            resource.setdefault("metadata", {}).setdefault("labels", {}).update(label_set["pairs"])
    namespace = kustomization.get("namespace")
    if namespace:
        for resource in resources:
            if resource["kind"] not in CLUSTER_SCOPED:
                resource.setdefault("metadata", {})["namespace"] = namespace
    return resources


def _matching(resources: list[Resource], target: dict[str, str]) -> list[Resource]:
    unsupported = set(target) - {"kind", "name"}
    if unsupported:
        raise KustomizeError(f"patch targets by {sorted(unsupported)} are not supported")
    found = [
        r
        for r in resources
        if r["kind"] == target.get("kind", r["kind"]) and r["metadata"]["name"] == target.get("name", r["metadata"]["name"])
    ]
    if not found:
        raise KustomizeError(f"no resource matches the patch target {target}")
    return found


def _apply_patch(resources: list[Resource], patch: dict[str, Any]) -> None:
    if set(patch) != {"target", "patch"}:
        raise KustomizeError("only inline JSON 6902 patches with a target are supported")
    operations = yaml.safe_load(patch["patch"])
    if not isinstance(operations, list):
        raise KustomizeError("strategic-merge patches are not supported; write a JSON 6902 list")
    for resource in _matching(resources, patch["target"]):
        for operation in operations:
            _apply_operation(resource, operation)


def _apply_operation(document: Resource, operation: dict[str, Any]) -> None:
    op, path = operation["op"], operation["path"]
    parts = [p.replace("~1", "/").replace("~0", "~") for p in path.lstrip("/").split("/")]
    parent: Any = document
    for part in parts[:-1]:
        parent = parent[int(part)] if isinstance(parent, list) else parent[part]
    last = parts[-1]
    if op in ("add", "replace"):
        if isinstance(parent, list):
            index = len(parent) if last == "-" else int(last)
            if op == "add":
                parent.insert(index, copy.deepcopy(operation["value"]))
            else:
                parent[index] = copy.deepcopy(operation["value"])
        else:
            if op == "replace" and last not in parent:
                raise KustomizeError(f"replace of a missing path {path}")
            parent[last] = copy.deepcopy(operation["value"])
    elif op == "remove":
        del parent[int(last) if isinstance(parent, list) else last]
    else:
        raise KustomizeError(f"JSON patch operation {op!r} is not supported")


def _pod_containers(resource: Resource) -> list[dict[str, Any]]:
    if resource["kind"] not in WORKLOADS_WITH_PODS:
        return []
    pod = resource["spec"]["template"]["spec"]
    return [*pod.get("initContainers", []), *pod["containers"]]


def _set_image(resources: list[Resource], image: dict[str, str]) -> None:
    for resource in resources:
        for container in _pod_containers(resource):
            name = container["image"].split("@")[0].rsplit(":", 1)[0] if ":" in container["image"] else container["image"]
            if name == image["name"]:
                new = image.get("newName", name)
                container["image"] = f"{new}:{image['newTag']}" if "newTag" in image else new


def _set_replicas(resources: list[Resource], replicas: dict[str, Any]) -> None:
    targets = [r for r in resources if r["metadata"]["name"] == replicas["name"] and "replicas" in r.get("spec", {})]
    if not targets:
        raise KustomizeError(f"replicas: no workload named {replicas['name']}")
    for resource in targets:
        resource["spec"]["replicas"] = int(replicas["count"])
