"""docker-compose.yml, checked in Python: `docker compose config` needs the compose plugin, which this
machine's Docker client lacks. Checks what `config` would (YAML, anchors, references between services)
and what the issue asks: health checks and depends_on conditions so that `up` starts things in order."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from shared.health import DEFAULT_HEALTH_PORTS
from tests.conftest import REPO_ROOT

VTN_PROCESSES = ("registration_svc", "presence_svc", "event_svc", "report_svc", "gateway")
CONDITIONS = {"service_started", "service_healthy", "service_completed_successfully"}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text())
    return loaded


def test_every_process_and_its_infrastructure_is_a_service(compose: dict[str, Any]) -> None:
    assert set(compose["services"]) == {"kafka", "postgres", "setup", *VTN_PROCESSES}


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
    for name in VTN_PROCESSES[:-1]:
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
