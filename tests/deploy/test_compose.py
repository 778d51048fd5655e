"""docker-compose.yml, checked in Python: `docker compose config` needs the compose plugin, which this
machine's Docker client lacks. Checks what `config` would (YAML, anchors, references between services)
and what the issue asks: health checks and depends_on conditions so that `up` starts things in order."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from shared.health import DEFAULT_HEALTH_PORTS
from shared.settings import VtnSettings
from tests.conftest import REPO_ROOT

VTN_PROCESSES = ("registration_svc", "presence_svc", "event_svc", "report_svc", "gateway", "gateway.push")
CONDITIONS = {"service_started", "service_healthy", "service_completed_successfully"}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text())
    return loaded


def test_every_process_and_its_infrastructure_is_a_service(compose: dict[str, Any]) -> None:
    assert set(compose["services"]) == {"kafka", "postgres", "setup", "tls-setup", *VTN_PROCESSES}


def test_dependencies_name_services_with_valid_conditions(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for name, service in services.items():
        for dependency, spec in service.get("depends_on", {}).items():
            assert dependency in services, f"{name} depends on unknown {dependency}"
            assert spec["condition"] in CONDITIONS
            if spec["condition"] == "service_healthy":
                assert "healthcheck" in services[dependency], f"{dependency} has no health check"


def test_setup_provisions_topics_and_migrates_after_kafka_and_postgres_are_healthy(compose: dict[str, Any]) -> None:
    setup = compose["services"]["setup"]
    assert "shared.bus.provision" in " ".join(setup["command"]) and "shared.db.migrate" in " ".join(setup["command"])
    assert setup["depends_on"] == {
        "kafka": {"condition": "service_healthy"},
        "postgres": {"condition": "service_healthy"},
    }
    assert setup["restart"] == "no"


@pytest.mark.parametrize("name", VTN_PROCESSES)
def test_each_process_waits_for_setup_and_is_healthy_when_ready(compose: dict[str, Any], name: str) -> None:
    service = compose["services"][name]
    assert service["depends_on"]["setup"] == {"condition": "service_completed_successfully"}
    assert service["command"] == ["python", "-m", name]
    probe = " ".join(service["healthcheck"]["test"])
    port = DEFAULT_HEALTH_PORTS.get(name, 8081)
    assert f"127.0.0.1:{port}/readyz" in probe
    assert service["build"]["dockerfile"] == "deploy/Dockerfile"


def test_the_gateway_waits_for_every_service_to_be_ready(compose: dict[str, Any]) -> None:
    depends = compose["services"]["gateway"]["depends_on"]
    for name in VTN_PROCESSES[: VTN_PROCESSES.index("gateway")]:
        assert depends[name] == {"condition": "service_healthy"}
    assert compose["services"]["gateway"]["ports"] == ["8080:8080", "8081:8081"]


def test_the_image_runs_as_non_root_and_listens_on_all_interfaces() -> None:
    dockerfile = (REPO_ROOT / "deploy" / "Dockerfile").read_text()
    assert dockerfile.count("FROM ") == 2, "multi-stage"
    assert "USER 10001" in dockerfile
    for setting in ("VTN_HTTP_HOST=0.0.0.0", "VTN_ADMIN_HOST=0.0.0.0", "VTN_HEALTH_HOST=0.0.0.0"):
        assert setting in dockerfile
    for package in ("shared", "gateway", "registration_svc", "presence_svc", "event_svc", "report_svc"):
        assert f"COPY --chown=root:root {package} ./{package}" in dockerfile


# Settings that name a file (certificates, keys, CA): in a container they must point into a mounted volume.
FILE_SETTINGS = {
    f"VTN_{name.upper()}"
    for name, field in VtnSettings.model_fields.items()
    if "Path" in str(field.annotation) and name != "xsd_path"
}


def _mounts(service: dict[str, Any]) -> dict[str, str]:
    """Container path -> source (volume name or host path) of the service's short-syntax volumes."""
    found = {}
    for entry in service.get("volumes", []):
        if entry.endswith((":ro", ":rw")):
            entry = entry[:-3]
        source, target = entry.rsplit(":", 1)  # the source may hold ${VAR:-default}
        found[target] = source
    return found


def test_the_gateway_serves_https_and_signs_with_files_from_a_mounted_volume(compose: dict[str, Any]) -> None:
    gateway = compose["services"]["gateway"]
    environment = gateway["environment"]
    files = {name: path for name, path in environment.items() if name in FILE_SETTINGS}
    assert {"VTN_HTTP_CERT", "VTN_HTTP_KEY", "VTN_HTTP_CA_FILE", "VTN_CERT", "VTN_KEY"} <= set(files)
    assert all(not entry.endswith(":rw") for entry in gateway["volumes"])
    mounts = _mounts(gateway)
    setup = compose["services"]["tls-setup"]
    copy_command = " ".join(setup["command"])
    for name, path in files.items():
        directory, _, file_name = path.rpartition("/")
        assert directory in mounts, f"{name}={path} is not in a volume mounted into the gateway"
        # tls-setup fills that volume from the certificates directory `make certs` writes
        assert _mounts(setup)[directory] == mounts[directory]
        assert f"/certs/{file_name}" in copy_command and f" {file_name}" in copy_command
    assert _mounts(setup)["/certs"] == "${VTN_CERTS_DIR:-./.devstack/certs}"
    assert "chown -R 10001:10001" in copy_command and "chmod 0400" in copy_command
    assert gateway["depends_on"]["tls-setup"] == {"condition": "service_completed_successfully"}
    assert mounts[directory] in compose["volumes"]


def test_the_gateway_settings_are_valid_and_would_serve_https(
    compose: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in compose["services"]["gateway"]["environment"].items():
        monkeypatch.setenv(name, str(value))
    monkeypatch.setenv("VTN_ENVIRONMENT", "production")  # what the gateway then requires: HTTPS
    monkeypatch.setenv("VTN_ADMIN_TOKEN", "a-real-token")
    settings = VtnSettings()
    assert settings.serves_https and settings.http_ecc_cert is not None and settings.cert is not None


def test_make_certs_writes_every_file_the_compose_file_mounts(compose: dict[str, Any], tmp_path: Any) -> None:
    from devstack.certs import generate

    generate(tmp_path, ["ven1"])
    for path in compose["services"]["gateway"]["environment"].values():
        if str(path).startswith("/etc/vtn/tls/"):
            assert (tmp_path / str(path).rsplit("/", 1)[1]).is_file()
