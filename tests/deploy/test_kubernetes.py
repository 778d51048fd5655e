"""deploy/k8s renders (devstack.kustomize, a Python equivalent of `kustomize build`) and validates against
the Kubernetes 1.33 schemas shipped in `kubernetes-validate`, offline; and it says what the issue asks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import re

import kubernetes_validate
import pytest

from devstack.kustomize import KustomizeError, build
from shared.health import DEFAULT_HEALTH_PORTS
from shared.settings import VtnSettings
from tests.conftest import REPO_ROOT

K8S = REPO_ROOT / "deploy" / "k8s"
KUBERNETES_VERSION = "1.33.0"
LAYERS = ("base", "overlays/example", "overlays/example-ingress")
DEPLOYMENTS = {"vtn-gateway", *(f"vtn-{name.replace('_', '-').replace('.', '-')}" for name in DEFAULT_HEALTH_PORTS)}

Resource = dict[str, Any]


def _by_kind(resources: list[Resource], kind: str) -> dict[str, Resource]:
    return {r["metadata"]["name"]: r for r in resources if r["kind"] == kind}


@pytest.fixture(scope="module", params=LAYERS)
def rendered(request: pytest.FixtureRequest) -> list[Resource]:
    return build(K8S / request.param)


def test_every_manifest_is_valid_kubernetes(rendered: list[Resource]) -> None:
    for resource in rendered:
        kubernetes_validate.validate(resource, KUBERNETES_VERSION, strict=True)


def test_the_validation_has_teeth() -> None:
    deployment = _by_kind(build(K8S / "base"), "Deployment")["vtn-gateway"]
    deployment["spec"]["template"]["spec"]["containers"][0]["readinessProbes"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSION, strict=True)


def test_each_process_has_probes_resources_a_pdb_and_an_hpa(rendered: list[Resource]) -> None:
    deployments = _by_kind(rendered, "Deployment")
    assert set(deployments) == DEPLOYMENTS
    budgets, autoscalers = _by_kind(rendered, "PodDisruptionBudget"), _by_kind(rendered, "HorizontalPodAutoscaler")
    for name, deployment in deployments.items():
        pod = deployment["spec"]["template"]["spec"]
        container = pod["containers"][0]
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
        assert {"cpu", "memory"} <= set(container["resources"]["requests"]) & set(container["resources"]["limits"])
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert container["securityContext"]["readOnlyRootFilesystem"] is True
        selector = deployment["spec"]["selector"]["matchLabels"]
        assert budgets[name]["spec"]["selector"]["matchLabels"] == selector
        assert autoscalers[name]["spec"]["scaleTargetRef"]["name"] == name
        assert all(deployment["spec"]["template"]["metadata"]["labels"][k] == v for k, v in selector.items())


def test_probes_point_at_the_port_each_process_serves_them_on(rendered: list[Resource]) -> None:
    deployments = _by_kind(rendered, "Deployment")
    for service, port in DEFAULT_HEALTH_PORTS.items():
        container = deployments[f"vtn-{service.replace('_', '-').replace('.', '-')}"]["spec"]["template"]["spec"]["containers"][0]
        assert container["command"] == ["python", "-m", service]
        assert {"name": "health", "containerPort": port} in container["ports"]
        assert container["readinessProbe"]["httpGet"]["port"] == "health"
    gateway = deployments["vtn-gateway"]["spec"]["template"]["spec"]["containers"][0]
    assert {"name": "admin", "containerPort": 8081} in gateway["ports"]
    assert gateway["readinessProbe"]["httpGet"]["port"] == "admin"


def test_services_select_pods_that_exist(rendered: list[Resource]) -> None:
    pod_labels = [d["spec"]["template"]["metadata"]["labels"] for d in _by_kind(rendered, "Deployment").values()]
    for service in _by_kind(rendered, "Service").values():
        selector = service["spec"]["selector"]
        assert any(all(labels.get(k) == v for k, v in selector.items()) for labels in pod_labels)


def test_the_config_map_holds_only_real_settings(rendered: list[Resource]) -> None:
    data = _by_kind(rendered, "ConfigMap")["vtn-config"]["data"]
    known = {f"VTN_{name.upper()}" for name in VtnSettings.model_fields}
    assert set(data) <= known
    assert data["VTN_ENVIRONMENT"] == "production"


def test_the_setup_job_provisions_topics_then_migrates(rendered: list[Resource]) -> None:
    job = _by_kind(rendered, "Job")["vtn-setup"]
    command = " ".join(job["spec"]["template"]["spec"]["containers"][0]["command"])
    assert command.index("shared.bus.provision") < command.index("shared.db.migrate")


# Settings that name a file (certificates, keys, CA): in a container they must point into a mounted volume.
FILE_SETTINGS = {
    f"VTN_{name.upper()}"
    for name, field in VtnSettings.model_fields.items()
    if "Path" in str(field.annotation) and name != "xsd_path"
}


def _gateway(rendered: list[Resource]) -> tuple[dict[str, Any], dict[str, Any]]:
    pod = _by_kind(rendered, "Deployment")["vtn-gateway"]["spec"]["template"]["spec"]
    return pod, pod["containers"][0]


def _gateway_settings(rendered: list[Resource], monkeypatch: pytest.MonkeyPatch) -> VtnSettings:
    """The settings the gateway pod starts with (ConfigMap, then its own env; the Secret's token)."""
    _, container = _gateway(rendered)
    for name, value in _by_kind(rendered, "ConfigMap")["vtn-config"]["data"].items():
        monkeypatch.setenv(name, value)
    for entry in container["env"]:
        if "value" in entry:
            monkeypatch.setenv(entry["name"], entry["value"])
    monkeypatch.setenv("VTN_ADMIN_TOKEN", "a-token-from-the-secret-store")
    return VtnSettings()


def test_every_file_setting_of_the_gateway_points_into_a_mounted_secret(rendered: list[Resource]) -> None:
    pod, container = _gateway(rendered)
    secrets = {v["name"]: v["secret"] for v in pod["volumes"] if "secret" in v}
    mounts = {m["mountPath"]: m for m in container["volumeMounts"] if m["name"] in secrets}
    file_settings = {e["name"]: e["value"] for e in container["env"] if e["name"] in FILE_SETTINGS}
    assert {"VTN_CERT", "VTN_KEY"} <= set(file_settings), "the gateway signs its answers"
    for name, path in file_settings.items():
        mount = next((m for at, m in mounts.items() if path.startswith(at.rstrip("/") + "/")), None)
        assert mount is not None, f"{name}={path} is not in a mounted Secret"
        assert mount["readOnly"] is True
        assert secrets[mount["name"]]["secretName"] == "vtn-gateway-tls"
        assert not secrets[mount["name"]].get("optional"), "the gateway cannot start without its keys"
    # the Secret's files are group-readable only (0440): the pod's fsGroup makes them the process's group
    assert pod["securityContext"]["fsGroup"] == pod["securityContext"]["runAsUser"] == 10001
    assert all(s.get("defaultMode", 0o644) & 0o007 == 0 for s in secrets.values()), "keys readable by others"


@pytest.mark.parametrize("layer", ["overlays/example", "overlays/example-ingress"])
def test_the_overlay_says_how_to_create_every_secret_file_the_gateway_reads(layer: str) -> None:
    _, container = _gateway(build(K8S / layer))
    lines = (K8S / layer / "kustomization.yaml").read_text().splitlines()
    comments = [line.strip().lstrip("#").strip() for line in lines]
    commands = "\n".join(c for c in comments if c).replace("\\\n", " ").splitlines()
    [command] = [c for c in commands if "kubectl" in c and "create secret generic vtn-gateway-tls" in c]
    keys = {re.split("[= ]", item)[1] for item in command.split() if item.startswith("--from-file=")}
    files = {e["value"].rsplit("/", 1)[1] for e in container["env"] if e["name"] in FILE_SETTINGS}
    assert files <= keys, f"{sorted(files - keys)} are read but the instructions do not put them in the Secret"


@pytest.mark.parametrize("layer", LAYERS)
def test_the_production_gateway_would_start(layer: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """In production the gateway refuses plain HTTP unless a trusted proxy hands it the client certificate."""
    settings = _gateway_settings(build(K8S / layer), monkeypatch)
    assert settings.environment.value == "production"
    assert settings.serves_https or settings.trusted_proxies
    assert settings.cert is not None and settings.key is not None
    if layer.endswith("ingress"):
        assert not settings.serves_https and settings.trusted_proxies and settings.client_cert_header
    else:
        assert settings.http_ca_file is not None and settings.http_ecc_cert is not None


def test_the_ingress_alternative_checks_and_forwards_the_client_certificate() -> None:
    rendered = build(K8S / "overlays" / "example-ingress")
    ingress = _by_kind(rendered, "Ingress")["vtn-gateway"]
    annotations = ingress["metadata"]["annotations"]
    assert annotations["nginx.ingress.kubernetes.io/auth-tls-verify-client"] == "on"
    assert annotations["nginx.ingress.kubernetes.io/auth-tls-pass-certificate-to-upstream"] == "true"
    assert annotations["nginx.ingress.kubernetes.io/ssl-ciphers"] == "ECDHE-ECDSA-AES128-SHA256:AES128-SHA256"
    backend = ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert backend["name"] in _by_kind(rendered, "Service")
    assert ingress["metadata"]["namespace"] == "openadr-vtn"


def test_the_example_overlay_sets_namespace_image_and_secrets() -> None:
    rendered = build(K8S / "overlays" / "example")
    namespaced = [r for r in rendered if r["kind"] != "Namespace"]
    assert {r["metadata"]["namespace"] for r in namespaced} == {"openadr-vtn"}
    images = {
        c["image"]
        for r in rendered
        if r["kind"] in ("Deployment", "Job")
        for c in r["spec"]["template"]["spec"]["containers"]
    }
    assert images == {"registry.example.com/energy/openadr-vtn:0.1.0"}
    assert _by_kind(rendered, "Deployment")["vtn-gateway"]["spec"]["replicas"] == 3
    secret = _by_kind(rendered, "Secret")["vtn-secrets"]
    assert {"VTN_ADMIN_TOKEN", "VTN_DATABASE_URL"} <= set(secret["stringData"])
    assert _by_kind(rendered, "ConfigMap")["vtn-config"]["data"]["VTN_TOPIC_PARTITIONS"] == "12"


def test_unsupported_kustomize_features_are_refused(tmp_path: Path) -> None:
    (tmp_path / "kustomization.yaml").write_text("resources: []\nconfigMapGenerator: []\n")
    with pytest.raises(KustomizeError):
        build(tmp_path)
