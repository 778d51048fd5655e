"""deploy/k8s rendered by the real kustomize and validated by kubeconform against the Kubernetes schemas that
kubernetes-validate ships, offline; and the rendered objects do what an operator of the VTN relies on."""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from devstack.kubeconform import KubeconformError, validate
from devstack.kustomize import KustomizeError, build, build_resources
from shared.health import DEFAULT_HEALTH_PORTS
from shared.settings import VtnSettings
from tests.conftest import REPO_ROOT
from tests.deploy.conftest import (
    FILE_SETTINGS,
    K8S,
    LAYERS,
    Resource,
    by_kind,
    copy_of_k8s,
    one_named,
    write_operator_secrets,
)

VTN_DEPLOYMENTS = {"vtn-gateway", *(f"vtn-{name.replace('_', '-').replace('.', '-')}" for name in DEFAULT_HEALTH_PORTS)}
XMPP_SERVER = "vtn-xmpp-server"
Render = Callable[[str], list[Resource]]


@pytest.mark.parametrize("layer", LAYERS)
def test_every_layer_is_valid_kubernetes(operator_k8s: Path, layer: str) -> None:
    manifests = build(operator_k8s / layer)
    documents = [doc for doc in yaml.safe_load_all(manifests) if doc]
    assert validate(manifests).valid == len(documents) > 0


def test_the_validation_has_teeth(render: Render) -> None:
    deployment = by_kind(render("base"), "Deployment")["vtn-gateway"]
    deployment["spec"]["template"]["spec"]["containers"][0]["readinessProbes"] = {}
    with pytest.raises(KubeconformError, match="readinessProbes"):
        validate(yaml.safe_dump(deployment))
    with pytest.raises(KubeconformError):  # a kind without a schema is an error, not skipped
        validate(yaml.safe_dump({"apiVersion": "example.com/v1", "kind": "Unknown", "metadata": {"name": "x"}}))


@pytest.mark.parametrize("layer", LAYERS)
def test_each_process_has_probes_resources_a_pdb_and_an_hpa(render: Render, layer: str) -> None:
    rendered = render(layer)
    deployments = by_kind(rendered, "Deployment")
    assert set(deployments) == VTN_DEPLOYMENTS | {XMPP_SERVER}
    budgets, autoscalers = by_kind(rendered, "PodDisruptionBudget"), by_kind(rendered, "HorizontalPodAutoscaler")
    for name in VTN_DEPLOYMENTS:
        deployment = deployments[name]
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


@pytest.mark.parametrize("layer", LAYERS)
def test_no_deployment_fixes_a_replica_count_its_autoscaler_owns(render: Render, layer: str) -> None:
    """`kubectl apply` of a fixed `replicas:` would reset the count the HPA chose at every release."""
    rendered = render(layer)
    scaled = {a["spec"]["scaleTargetRef"]["name"] for a in by_kind(rendered, "HorizontalPodAutoscaler").values()}
    for name, deployment in by_kind(rendered, "Deployment").items():
        if name == XMPP_SERVER:
            continue  # one replica, never scaled (test_the_xmpp_server_runs_once_...)
        assert name in scaled
        assert "replicas" not in deployment["spec"], f"{name} sets replicas although an HPA scales it"


def test_the_example_raises_the_autoscalers_bounds_instead(render: Render) -> None:
    autoscalers = by_kind(render("overlays/example"), "HorizontalPodAutoscaler")
    assert autoscalers["vtn-gateway"]["spec"]["minReplicas"] == 3
    assert autoscalers["vtn-registration-svc"]["spec"]["maxReplicas"] == 12


def test_probes_point_at_the_port_each_process_serves_them_on(render: Render) -> None:
    deployments = by_kind(render("base"), "Deployment")
    for service, port in DEFAULT_HEALTH_PORTS.items():
        container = deployments[f"vtn-{service.replace('_', '-').replace('.', '-')}"]["spec"]["template"]["spec"][
            "containers"
        ][0]
        assert container["command"] == ["python", "-m", service]
        assert {"name": "health", "containerPort": port} in container["ports"]
        assert container["readinessProbe"]["httpGet"]["port"] == "health"
    gateway = deployments["vtn-gateway"]["spec"]["template"]["spec"]["containers"][0]
    assert {"name": "admin", "containerPort": 8081} in gateway["ports"]
    assert gateway["readinessProbe"]["httpGet"]["port"] == "admin"


@pytest.mark.parametrize("layer", LAYERS)
def test_services_select_pods_that_exist(render: Render, layer: str) -> None:
    rendered = render(layer)
    pod_labels = [d["spec"]["template"]["metadata"]["labels"] for d in by_kind(rendered, "Deployment").values()]
    for service in by_kind(rendered, "Service").values():
        selector = service["spec"]["selector"]
        assert any(all(labels.get(k) == v for k, v in selector.items()) for labels in pod_labels)


# ---- ConfigMap and Secret: generated, hashed, never a placeholder pushed over a real one ------------------


def _pod_specs(rendered: list[Resource]) -> list[dict[str, Any]]:
    return [r["spec"]["template"]["spec"] for r in rendered if r["kind"] in ("Deployment", "Job")]


def _env_sources(rendered: list[Resource], kind: str) -> set[str]:
    reference = "configMapRef" if kind == "ConfigMap" else "secretRef"
    return {
        source[reference]["name"]
        for pod in _pod_specs(rendered)
        for container in pod["containers"]
        for source in container.get("envFrom", [])
        if reference in source
    }


@pytest.mark.parametrize("layer", LAYERS)
def test_the_config_map_name_carries_a_hash_of_its_content_and_every_pod_uses_it(render: Render, layer: str) -> None:
    rendered = render(layer)
    config = one_named(rendered, "ConfigMap", "vtn-config")
    assert re.fullmatch(r"vtn-config-[a-z0-9]{10}", config["metadata"]["name"])
    assert _env_sources(rendered, "ConfigMap") == {config["metadata"]["name"]}


def test_a_changed_setting_is_a_new_config_map_so_the_pods_roll(tmp_path: Path, render: Render) -> None:
    k8s = copy_of_k8s(tmp_path / "k8s")
    write_operator_secrets(k8s)
    config_env = k8s / "base" / "config.env"
    config_env.write_text(config_env.read_text().replace("VTN_LOG_LEVEL=INFO", "VTN_LOG_LEVEL=DEBUG"))
    before = one_named(render("overlays/example"), "ConfigMap", "vtn-config")["metadata"]["name"]
    changed = build_resources(k8s / "overlays" / "example")
    after = one_named(changed, "ConfigMap", "vtn-config")["metadata"]["name"]
    assert after != before
    assert _env_sources(changed, "ConfigMap") == {after}


@pytest.mark.parametrize("layer", LAYERS)
def test_the_config_map_holds_only_real_settings(render: Render, layer: str) -> None:
    data = one_named(render(layer), "ConfigMap", "vtn-config")["data"]
    known = {f"VTN_{name.upper()}" for name in VtnSettings.model_fields}
    assert set(data) <= known
    assert data["VTN_ENVIRONMENT"] == "production"


def test_the_example_generates_its_secret_from_the_operators_file_under_a_hashed_name(
    operator_k8s: Path, render: Render
) -> None:
    """`kubectl apply -k` never overwrites a Secret the operator made: the generated one has its own name."""
    rendered = render("overlays/example")
    secret = one_named(rendered, "Secret", "vtn-secrets")
    assert re.fullmatch(r"vtn-secrets-[a-z0-9]{10}", secret["metadata"]["name"])
    assert _env_sources(rendered, "Secret") == {secret["metadata"]["name"]}
    operator_file = (operator_k8s / "overlays" / "example" / "vtn-secrets.env").read_text()
    token = operator_file.split("VTN_ADMIN_TOKEN=")[1].split("\n")[0]
    assert base64.b64decode(secret["data"]["VTN_ADMIN_TOKEN"]).decode() == token
    for layer in LAYERS:  # no layer carries a Secret with a fixed name that apply would push over a real one
        assert all(re.search(r"-[a-z0-9]{10}$", name) for name in by_kind(render(layer), "Secret"))


def test_without_the_operators_secrets_file_nothing_renders(tmp_path: Path) -> None:
    k8s = copy_of_k8s(tmp_path / "k8s")
    for layer in ("overlays/example", "overlays/example-ingress"):
        with pytest.raises(KustomizeError, match="vtn-secrets.env"):
            build(k8s / layer)


def test_the_committed_example_of_the_secrets_file_is_refused_by_production(monkeypatch: pytest.MonkeyPatch) -> None:
    """Copying vtn-secrets.env.example without filling it in gives a gateway that does not start."""
    example = (K8S / "overlays" / "example" / "vtn-secrets.env.example").read_text()
    values = dict(line.split("=", 1) for line in example.splitlines() if line and not line.startswith("#"))
    assert set(values) == {"VTN_ADMIN_TOKEN", "VTN_DATABASE_URL"}
    with pytest.raises(ValueError, match="VTN_ADMIN_TOKEN"):
        VtnSettings(environment="production", admin_token=values["VTN_ADMIN_TOKEN"])  # type: ignore[arg-type]
    assert "vtn-secrets.env" in (K8S / "overlays" / "example" / ".gitignore").read_text().split()


# ---- the setup Job: one per release ----------------------------------------------------------------------


def test_the_setup_job_provisions_topics_then_migrates(render: Render) -> None:
    job = one_named(render("overlays/example"), "Job", "vtn-setup")
    command = " ".join(job["spec"]["template"]["spec"]["containers"][0]["command"])
    assert command.index("shared.bus.provision") < command.index("shared.db.migrate")
    assert job["spec"]["ttlSecondsAfterFinished"] > 0


def test_the_setup_job_is_named_after_the_release_so_a_new_image_gets_a_new_job(tmp_path: Path, render: Render) -> None:
    """A Job's pod template is immutable: applying a new image to the same Job name would fail."""
    job = one_named(render("overlays/example"), "Job", "vtn-setup")
    image = job["spec"]["template"]["spec"]["containers"][0]["image"]
    assert job["metadata"]["name"] == "vtn-setup-" + image.rsplit(":", 1)[1] == "vtn-setup-0.1.0"
    k8s = copy_of_k8s(tmp_path / "k8s")
    write_operator_secrets(k8s)
    kustomization = k8s / "overlays" / "example" / "kustomization.yaml"
    kustomization.write_text(kustomization.read_text().replace('newTag: "0.1.0"', 'newTag: "0.2.0"'))
    for layer in ("overlays/example", "overlays/example-ingress"):
        released = one_named(build_resources(k8s / layer), "Job", "vtn-setup")
        assert released["metadata"]["name"] == "vtn-setup-0.2.0"
        assert released["spec"]["template"]["spec"]["containers"][0]["image"].endswith(":0.2.0")


# ---- the gateway's files, settings and ways in -------------------------------------------------------------


def _gateway(rendered: list[Resource]) -> tuple[dict[str, Any], dict[str, Any]]:
    pod = by_kind(rendered, "Deployment")["vtn-gateway"]["spec"]["template"]["spec"]
    return pod, pod["containers"][0]


def _gateway_settings(rendered: list[Resource], monkeypatch: pytest.MonkeyPatch) -> VtnSettings:
    """The settings the gateway pod starts with (ConfigMap, then its own env; a token from the Secret)."""
    _, container = _gateway(rendered)
    for name, value in one_named(rendered, "ConfigMap", "vtn-config")["data"].items():
        monkeypatch.setenv(name, value)
    for entry in container["env"]:
        if "value" in entry:
            monkeypatch.setenv(entry["name"], entry["value"])
    monkeypatch.setenv("VTN_ADMIN_TOKEN", "a-token-from-the-secret-store-of-64-characters-" + "0123456789abcdef")
    return VtnSettings()


@pytest.mark.parametrize("layer", LAYERS)
def test_every_file_setting_of_the_gateway_points_into_a_mounted_secret(render: Render, layer: str) -> None:
    pod, container = _gateway(render(layer))
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
def test_the_overlay_says_how_to_create_every_secret_file_the_gateway_reads(render: Render, layer: str) -> None:
    _, container = _gateway(render(layer))
    lines = (K8S / layer / "kustomization.yaml").read_text().splitlines()
    comments = [line.strip().lstrip("#").strip() for line in lines]
    commands = "\n".join(c for c in comments if c).replace("\\\n", " ").splitlines()
    [command] = [c for c in commands if "kubectl" in c and "create secret generic vtn-gateway-tls" in c]
    keys = {re.split("[= ]", item)[1] for item in command.split() if item.startswith("--from-file=")}
    files = {e["value"].rsplit("/", 1)[1] for e in container["env"] if e["name"] in FILE_SETTINGS}
    assert files <= keys, f"{sorted(files - keys)} are read but the instructions do not put them in the Secret"


@pytest.mark.parametrize("layer", LAYERS)
def test_the_production_gateway_would_start(render: Render, layer: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """In production the gateway refuses plain HTTP unless a trusted proxy hands it the client certificate."""
    settings = _gateway_settings(render(layer), monkeypatch)
    assert settings.environment.value == "production"
    assert settings.cert is not None and settings.key is not None
    if layer.endswith("ingress"):
        assert not settings.serves_https and settings.trusted_proxies and settings.client_cert_header
    else:
        assert settings.serves_https and settings.http_ca_file is not None and settings.http_ecc_cert is not None


def test_the_example_lets_vens_in_through_a_load_balancer_that_passes_tls_through(render: Render) -> None:
    service = by_kind(render("overlays/example"), "Service")["vtn-gateway"]["spec"]
    assert service["type"] == "LoadBalancer" and service["externalTrafficPolicy"] == "Local"
    assert service["ports"] == [{"name": "oadr", "port": 443, "targetPort": "oadr"}]
    ingress_service = by_kind(render("overlays/example-ingress"), "Service")["vtn-gateway"]["spec"]
    assert ingress_service.get("type", "ClusterIP") == "ClusterIP" and "externalTrafficPolicy" not in ingress_service


def test_the_ingress_alternative_checks_and_forwards_the_client_certificate(render: Render) -> None:
    rendered = render("overlays/example-ingress")
    ingress = by_kind(rendered, "Ingress")["vtn-gateway"]
    annotations = ingress["metadata"]["annotations"]
    assert annotations["nginx.ingress.kubernetes.io/auth-tls-verify-client"] == "on"
    assert annotations["nginx.ingress.kubernetes.io/auth-tls-pass-certificate-to-upstream"] == "true"
    assert annotations["nginx.ingress.kubernetes.io/ssl-ciphers"] == "ECDHE-ECDSA-AES128-SHA256:AES128-SHA256"
    backend = ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert backend["name"] in by_kind(rendered, "Service")


def test_the_ingress_names_no_namespace_and_follows_the_overlays(tmp_path: Path, render: Render) -> None:
    written = yaml.safe_load((K8S / "overlays" / "example-ingress" / "ingress.yaml").read_text())["metadata"]
    assert "namespace" not in written
    assert not written["annotations"]["nginx.ingress.kubernetes.io/auth-tls-secret"].startswith("openadr-vtn/")
    ingress = by_kind(render("overlays/example-ingress"), "Ingress")["vtn-gateway"]["metadata"]
    assert ingress["annotations"]["nginx.ingress.kubernetes.io/auth-tls-secret"] == "openadr-vtn/vtn-ven-ca"
    k8s = copy_of_k8s(tmp_path / "k8s")
    write_operator_secrets(k8s)
    kustomization = k8s / "overlays" / "example-ingress" / "kustomization.yaml"
    kustomization.write_text(kustomization.read_text().replace("namespace: openadr-vtn", "namespace: vtn-staging"))
    moved = by_kind(build_resources(k8s / "overlays" / "example-ingress"), "Ingress")["vtn-gateway"]["metadata"]
    assert moved["namespace"] == "vtn-staging"
    assert moved["annotations"]["nginx.ingress.kubernetes.io/auth-tls-secret"] == "vtn-staging/vtn-ven-ca"


def test_the_example_overlay_sets_namespace_image_and_kafka(render: Render) -> None:
    rendered = render("overlays/example")
    namespaced = [r for r in rendered if r["kind"] != "Namespace"]
    assert {r["metadata"]["namespace"] for r in namespaced} == {"openadr-vtn"}
    assert {c["image"] for pod in _pod_specs(rendered) for c in pod["containers"]} == {
        "registry.example.com/energy/openadr-vtn:0.1.0",
        "registry.example.com/energy/openadr-vtn-xmpp:0.1.0",
    }
    assert one_named(rendered, "ConfigMap", "vtn-config")["data"]["VTN_TOPIC_PARTITIONS"] == "12"


# ---- XMPP: the server and the connector ----------------------------------------------------------------------


def _container(rendered: list[Resource], deployment: str) -> tuple[dict[str, Any], dict[str, Any]]:
    pod = by_kind(rendered, "Deployment")[deployment]["spec"]["template"]["spec"]
    return pod, pod["containers"][0]


@pytest.mark.parametrize("layer", LAYERS)
def test_the_xmpp_server_runs_once_replaced_by_recreate_and_is_probed_on_its_client_port(
    render: Render, layer: str
) -> None:
    """One Prosody holds a domain's sessions: two side by side would split the VENs from the connector."""
    rendered = render(layer)
    deployment = by_kind(rendered, "Deployment")[XMPP_SERVER]
    assert deployment["spec"]["replicas"] == 1 and deployment["spec"]["strategy"] == {"type": "Recreate"}
    targets = {a["spec"]["scaleTargetRef"]["name"] for a in by_kind(rendered, "HorizontalPodAutoscaler").values()}
    assert XMPP_SERVER not in targets and XMPP_SERVER not in by_kind(rendered, "PodDisruptionBudget")
    pod, container = _container(rendered, XMPP_SERVER)
    assert container["ports"] == [{"name": "xmpp", "containerPort": 5222}]
    for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
        assert container[probe]["tcpSocket"] == {"port": "xmpp"}
    assert pod["securityContext"]["runAsNonRoot"] is True and container["securityContext"]["readOnlyRootFilesystem"]
    assert {"cpu", "memory"} <= set(container["resources"]["requests"]) & set(container["resources"]["limits"])
    [service] = [
        s
        for s in by_kind(rendered, "Service").values()
        if s["spec"]["selector"] == {"app.kubernetes.io/name": "xmpp-server"}
    ]
    assert service["metadata"]["name"] == "vtn-xmpp" and service["spec"]["ports"][0]["port"] == 5222


@pytest.mark.parametrize("layer", LAYERS)
def test_the_xmpp_server_reads_its_certificate_and_the_client_ca_and_none_of_the_vtns_keys(
    render: Render, layer: str
) -> None:
    """Mounted where deploy/xmpp/Dockerfile's defaults look; from vtn-gateway-tls only the CA."""
    pod, container = _container(render(layer), XMPP_SERVER)
    [tls] = [v for v in pod["volumes"] if "projected" in v]
    files = {
        item["path"]: (source["secret"]["name"], item["key"])
        for source in tls["projected"]["sources"]
        for item in source["secret"]["items"]
    }
    assert files == {
        "xmpp.crt": ("vtn-xmpp-tls", "tls.crt"),
        "xmpp.key": ("vtn-xmpp-tls", "tls.key"),
        "client-ca.crt": ("vtn-gateway-tls", "ca.crt"),
    }
    assert tls["projected"]["defaultMode"] & 0o007 == 0
    [mount] = [m for m in container["volumeMounts"] if m["name"] == tls["name"]]
    assert mount["readOnly"] is True
    dockerfile = (REPO_ROOT / "deploy" / "xmpp" / "Dockerfile").read_text()
    for name in files:
        assert f"={mount['mountPath']}/{name}" in dockerfile
    data = [m for m in container["volumeMounts"] if m["name"] != tls["name"]]
    assert [m["mountPath"] for m in data] == ["/var/lib/openadr-xmpp"]
    assert "OPENADR_XMPP_DATA=/var/lib/openadr-xmpp" in dockerfile


@pytest.mark.parametrize("layer", LAYERS)
def test_the_xmpp_server_and_the_vtn_agree_on_the_vtns_address(render: Render, layer: str) -> None:
    rendered = render(layer)
    config = one_named(rendered, "ConfigMap", "vtn-config")
    _, container = _container(rendered, XMPP_SERVER)
    [vtn] = [e for e in container["env"] if e["name"] == "OPENADR_XMPP_VTN"]
    reference = vtn["valueFrom"]["configMapKeyRef"]
    assert reference == {"name": config["metadata"]["name"], "key": "VTN_XMPP_ADDRESS"}
    assert VtnSettings(xmpp_address=config["data"]["VTN_XMPP_ADDRESS"]).xmpp_domain


@pytest.mark.parametrize("layer", LAYERS)
def test_the_connector_logs_in_to_the_xmpp_service_with_files_from_mounted_secrets(
    render: Render, layer: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gateway.xmpp.__main__ import server_of, tls_files

    rendered = render(layer)
    pod, container = _container(rendered, "vtn-gateway-xmpp")
    secrets = {v["name"]: v["secret"] for v in pod["volumes"] if "secret" in v}
    mounts = [m for m in container["volumeMounts"] if m["name"] in secrets]
    env = {e["name"]: e["value"] for e in container["env"] if "value" in e}
    for name in FILE_SETTINGS & set(env):
        [mount] = [m for m in mounts if env[name].startswith(m["mountPath"] + "/")]
        assert mount["readOnly"] is True
        secret = secrets[mount["name"]]
        assert "items" not in secret or env[name].rsplit("/", 1)[1] in {i["path"] for i in secret["items"]}
    assert {secrets[m["name"]]["secretName"] for m in mounts} == {"vtn-gateway-tls", "vtn-xmpp-tls"}
    for name, value in one_named(rendered, "ConfigMap", "vtn-config")["data"].items():
        monkeypatch.setenv(name, value)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("VTN_ADMIN_TOKEN", "a-token-from-the-secret-store-of-64-characters-" + "0123456789abcdef")
    settings = VtnSettings()
    assert settings.xmpp_domain is not None
    host, port = server_of(settings, settings.xmpp_domain)
    service = by_kind(rendered, "Service")[host]
    assert service["spec"]["selector"] == {"app.kubernetes.io/name": "xmpp-server"}
    assert port in {p["port"] for p in service["spec"]["ports"]}
    cert, key, _, ca = tls_files(settings)
    assert (cert, key, ca) == ("/etc/vtn/tls/vtn-rsa.crt", "/etc/vtn/tls/vtn-rsa.key", "/etc/vtn/xmpp/ca.crt")


def test_the_example_lets_xmpp_vens_in_through_a_load_balancer_that_keeps_their_address(render: Render) -> None:
    service = by_kind(render("overlays/example"), "Service")["vtn-xmpp"]["spec"]
    assert service["type"] == "LoadBalancer" and service["externalTrafficPolicy"] == "Local"
    assert service["ports"] == [{"name": "xmpp", "port": 5222, "targetPort": "xmpp"}]


def test_the_example_says_how_to_create_the_xmpp_servers_secret() -> None:
    lines = (K8S / "overlays" / "example" / "kustomization.yaml").read_text().splitlines()
    comments = [line.strip().lstrip("#").strip() for line in lines]
    commands = "\n".join(c for c in comments if c).replace("\\\n", " ").splitlines()
    [command] = [c for c in commands if "kubectl" in c and "create secret generic vtn-xmpp-tls" in c]
    keys = {re.split("[= ]", item)[1] for item in command.split() if item.startswith("--from-file=")}
    assert keys == {"tls.crt", "tls.key", "ca.crt"}
