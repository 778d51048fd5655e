"""docker-compose.yml as `docker compose config` (the real Compose v2, pinned) validates and normalizes it:
the start order, health checks, data that survives `down`, ports, the TLS files, the image's inputs."""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from devstack.compose import ComposeError, config
from shared.health import DEFAULT_HEALTH_PORTS
from shared.settings import VtnSettings
from tests.conftest import REPO_ROOT
from tests.deploy.conftest import FILE_SETTINGS

# compose service names (the pusher, `python -m gateway.push`, is `gateway-push`: Compose reads a dot as a path)
VTN_PROCESSES = ("registration_svc", "presence_svc", "event_svc", "report_svc", "gateway", "gateway-push")
CONDITIONS = {"service_started", "service_healthy", "service_completed_successfully"}
CLEAN_ENV = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/root")}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    """The file as Compose reads it with nothing set in the environment: the defaults an operator gets."""
    return config(REPO_ROOT, CLEAN_ENV)


def test_compose_refuses_a_broken_file(tmp_path: Path) -> None:
    broken = tmp_path / "docker-compose.yml"
    broken.write_text(
        "services:\n  a:\n    image: x\n    depends_on:\n      missing:\n        condition: service_healthy\n"
    )
    with pytest.raises(ComposeError, match="missing"):
        config(tmp_path, CLEAN_ENV, [broken])


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


def _conditions(service: dict[str, Any]) -> dict[str, str]:
    return {name: spec["condition"] for name, spec in service.get("depends_on", {}).items()}


def test_setup_provisions_topics_and_migrates_after_kafka_and_postgres_are_healthy(compose: dict[str, Any]) -> None:
    setup = compose["services"]["setup"]
    assert "shared.bus.provision" in " ".join(setup["command"]) and "shared.db.migrate" in " ".join(setup["command"])
    assert _conditions(setup) == {"kafka": "service_healthy", "postgres": "service_healthy"}
    assert setup["restart"] == "no"


@pytest.mark.parametrize("name", VTN_PROCESSES)
def test_each_process_waits_for_setup_and_is_healthy_when_ready(compose: dict[str, Any], name: str) -> None:
    service = compose["services"][name]
    module = name.replace("-", ".")
    assert _conditions(service)["setup"] == "service_completed_successfully"
    assert service["command"] == ["python", "-m", module]
    probe = " ".join(service["healthcheck"]["test"])
    port = DEFAULT_HEALTH_PORTS.get(module, 8081)
    assert f"127.0.0.1:{port}/readyz" in probe
    assert service["build"]["dockerfile"] == "deploy/Dockerfile"


def test_the_gateway_waits_for_every_service_to_be_ready(compose: dict[str, Any]) -> None:
    conditions = _conditions(compose["services"]["gateway"])
    for name in VTN_PROCESSES[: VTN_PROCESSES.index("gateway")]:
        assert conditions[name] == "service_healthy"


def _published(service: dict[str, Any]) -> dict[int, tuple[str, str]]:
    """Container port -> (host address, host port); an empty address is every interface."""
    return {p["target"]: (p.get("host_ip", ""), p["published"]) for p in service.get("ports", [])}


def test_vens_reach_the_gateway_on_every_interface_and_the_admin_port_only_on_loopback(compose: dict[str, Any]) -> None:
    assert _published(compose["services"]["gateway"]) == {8080: ("", "8080"), 8081: ("127.0.0.1", "8081")}
    for name, service in compose["services"].items():
        if name != "gateway":
            assert not service.get("ports"), f"{name} publishes a port"


def test_the_host_ports_can_be_moved(compose: dict[str, Any]) -> None:
    moved = config(REPO_ROOT, CLEAN_ENV | {"VTN_HTTP_PORT": "24180", "VTN_ADMIN_PORT": "24181"})
    assert _published(moved["services"]["gateway"]) == {8080: ("", "24180"), 8081: ("127.0.0.1", "24181")}


@pytest.mark.parametrize(
    ("service", "path"), [("kafka", "/var/lib/kafka/data"), ("postgres", "/var/lib/postgresql/data")]
)
def test_kafka_and_postgresql_keep_their_data_in_named_volumes(
    compose: dict[str, Any], service: str, path: str
) -> None:
    """`docker compose down` removes containers, not named volumes: topics, offsets and rows survive it."""
    [mount] = [v for v in compose["services"][service]["volumes"] if v["target"] == path]
    assert mount["type"] == "volume" and mount["source"] in compose["volumes"]
    assert not compose["volumes"][mount["source"]].get("external")


def test_kafka_writes_its_log_to_the_volume(compose: dict[str, Any]) -> None:
    assert compose["services"]["kafka"]["environment"]["KAFKA_LOG_DIRS"] == "/var/lib/kafka/data"


def test_the_real_images_are_the_defaults_and_stand_ins_can_replace_them(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert services["kafka"]["image"] == "apache/kafka:4.1.0"
    assert services["postgres"]["image"] == "postgres:15"
    assert services["gateway"]["build"]["args"] == {"PYTHON_IMAGE": "python:3.11-slim", "NODE_IMAGE": "node:20-slim"}
    stand_ins = {
        "VTN_KAFKA_IMAGE": "k:1",
        "VTN_POSTGRES_IMAGE": "p:1",
        "VTN_PYTHON_IMAGE": "py:1",
        "VTN_NODE_IMAGE": "n:1",
    }
    replaced = config(REPO_ROOT, CLEAN_ENV | stand_ins)["services"]
    assert (replaced["kafka"]["image"], replaced["postgres"]["image"]) == ("k:1", "p:1")
    assert {replaced[name]["build"]["args"]["PYTHON_IMAGE"] for name in VTN_PROCESSES} == {"py:1"}
    assert {replaced[name]["build"]["args"]["NODE_IMAGE"] for name in VTN_PROCESSES} == {"n:1"}


def test_the_dockerfile_takes_its_base_image_from_a_build_arg_defaulting_to_python_slim() -> None:
    dockerfile = (REPO_ROOT / "deploy" / "Dockerfile").read_text()
    assert "ARG PYTHON_IMAGE=python:3.11-slim" in dockerfile
    assert "ARG NODE_IMAGE=node:20-slim" in dockerfile
    assert [line for line in dockerfile.splitlines() if line.startswith("FROM ")] == [
        "FROM ${PYTHON_IMAGE} AS build",
        "FROM ${NODE_IMAGE} AS console-assets",
        "FROM ${PYTHON_IMAGE}",
    ]


def test_the_image_runs_as_non_root_and_listens_on_all_interfaces() -> None:
    dockerfile = (REPO_ROOT / "deploy" / "Dockerfile").read_text()
    assert dockerfile.count("FROM ") == 3, "multi-stage: Python build, the console's npm libraries, runtime"
    assert "USER 10001" in dockerfile
    for setting in ("VTN_HTTP_HOST=0.0.0.0", "VTN_ADMIN_HOST=0.0.0.0", "VTN_HEALTH_HOST=0.0.0.0"):
        assert setting in dockerfile
    for package in ("shared", "gateway", "registration_svc", "presence_svc", "event_svc", "report_svc"):
        assert f"COPY --chown=root:root {package} ./{package}" in dockerfile


def test_the_image_serves_the_consoles_libraries_built_from_the_npm_lock_file() -> None:
    """The console loads nothing from a CDN: the image installs its libraries with `npm ci` from the lock file
    and copies the files the gateway serves to where it looks for them (gateway/console/rendering.py)."""
    dockerfile = (REPO_ROOT / "deploy" / "Dockerfile").read_text()
    assert "COPY gateway/console/package.json gateway/console/package-lock.json ./" in dockerfile
    assert "npm ci --omit=dev" in dockerfile
    assert "COPY --from=console-assets --chown=root:root /assets ./gateway/console/node_modules" in dockerfile
    assert "cp node_modules/chart.js/dist/chart.umd.min.js /assets/chart.js/dist/" in dockerfile
    assert _ignored("gateway/console/node_modules/chart.js/package.json", _dockerignore())


# ---- the build context -------------------------------------------------------------------------------------


def _dockerignore() -> list[tuple[bool, str]]:
    """(negated, pattern) in file order, as Docker reads .dockerignore (last match wins)."""
    lines = (REPO_ROOT / ".dockerignore").read_text().splitlines()
    return [
        (line.startswith("!"), line.lstrip("!").strip("/"))
        for line in lines
        if line.strip() and not line.startswith("#")
    ]


def _ignored(path: str, rules: list[tuple[bool, str]]) -> bool:
    ignored = False
    for negated, pattern in rules:
        parts = path.split("/")
        prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
        if pattern.startswith("**/"):
            hit = any(fnmatch.fnmatchcase(part, pattern[3:]) for part in parts)
        else:
            hit = any(
                fnmatch.fnmatchcase(prefix, pattern) and prefix.count("/") == pattern.count("/") for prefix in prefixes
            )
        if hit:
            ignored = not negated
    return ignored


def _context_files() -> Iterator[tuple[str, int]]:
    rules = _dockerignore()
    for root, folders, files in os.walk(REPO_ROOT):
        relative_root = os.path.relpath(root, REPO_ROOT)
        folders[:] = [f for f in folders if f != ".git"]
        for name in files:
            relative = name if relative_root == "." else f"{relative_root}/{name}"
            if not _ignored(relative, rules):
                yield relative, (Path(root) / name).stat().st_size


def test_the_build_context_holds_only_what_the_image_copies() -> None:
    """No .venv (gigabytes), no .devstack (data and the private keys of `make certs`), no keys at all."""
    sent = dict(_context_files())
    tops = {path.split("/")[0] for path in sent}
    assert tops <= {
        "requirements.txt",
        "shared",
        "gateway",
        "registration_svc",
        "presence_svc",
        "event_svc",
        "report_svc",
    }
    assert "requirements.txt" in sent and "gateway/__main__.py" in sent
    assert not [p for p in sent if p.endswith((".key", ".pem")) or "__pycache__" in p]
    assert sum(sent.values()) < 20 * 1024 * 1024


def test_the_dockerignore_matcher_has_teeth() -> None:
    rules = _dockerignore()
    for path in (".venv/lib/python3.11/site.py", ".devstack/certs/vtn-rsa.key", "tests/conftest.py", "gateway/x.key"):
        assert _ignored(path, rules), path
    assert not _ignored("shared/settings.py", rules)


# ---- the gateway's TLS files ---------------------------------------------------------------------------------


def _mounts(service: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {mount["target"]: mount for mount in service.get("volumes", [])}


def test_the_gateway_serves_https_and_signs_with_files_from_a_mounted_volume(compose: dict[str, Any]) -> None:
    gateway = compose["services"]["gateway"]
    files = {name: path for name, path in gateway["environment"].items() if name in FILE_SETTINGS}
    assert {"VTN_HTTP_CERT", "VTN_HTTP_KEY", "VTN_HTTP_CA_FILE", "VTN_CERT", "VTN_KEY"} <= set(files)
    mounts = _mounts(gateway)
    setup = compose["services"]["tls-setup"]
    copy_command = " ".join(setup["command"])
    for name, path in files.items():
        directory, _, file_name = path.rpartition("/")
        assert directory in mounts, f"{name}={path} is not in a volume mounted into the gateway"
        assert mounts[directory]["read_only"] is True
        # tls-setup fills that volume from the certificates directory `make certs` writes
        assert _mounts(setup)[directory]["source"] == mounts[directory]["source"]
        assert f"/certs/{file_name}" in copy_command and f" {file_name}" in copy_command
    assert _mounts(setup)["/certs"]["source"] == str(REPO_ROOT / ".devstack" / "certs")
    assert "chown -R 10001:10001" in copy_command and "chmod 0400" in copy_command
    assert _conditions(gateway)["tls-setup"] == "service_completed_successfully"


def test_the_gateway_settings_are_valid_and_would_serve_https(
    compose: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in compose["services"]["gateway"]["environment"].items():
        monkeypatch.setenv(name, str(value))
    monkeypatch.setenv("VTN_ENVIRONMENT", "production")  # what the gateway then requires: HTTPS
    monkeypatch.setenv("VTN_ADMIN_TOKEN", "a-real-token-of-more-than-32-characters-from-a-secret-store")
    settings = VtnSettings()
    assert settings.serves_https and settings.http_ecc_cert is not None and settings.cert is not None


def test_make_certs_writes_every_file_the_compose_file_mounts(compose: dict[str, Any], tmp_path: Any) -> None:
    from devstack.certs import generate

    generate(tmp_path, ["ven1"])
    for path in compose["services"]["gateway"]["environment"].values():
        if str(path).startswith("/etc/vtn/tls/"):
            assert (tmp_path / str(path).rsplit("/", 1)[1]).is_file()
