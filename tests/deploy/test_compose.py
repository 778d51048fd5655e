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
VTN_PROCESSES = (
    "registration_svc",
    "presence_svc",
    "event_svc",
    "report_svc",
    "gateway",
    "gateway-push",
    "gateway-xmpp",
)
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
    assert set(compose["services"]) == {"kafka", "postgres", "xmpp", "setup", "tls-setup", *VTN_PROCESSES}


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


def test_vens_reach_the_gateway_and_the_xmpp_server_on_every_interface_and_the_admin_port_only_on_loopback(
    compose: dict[str, Any],
) -> None:
    assert _published(compose["services"]["gateway"]) == {8080: ("", "8080"), 8081: ("127.0.0.1", "8081")}
    assert _published(compose["services"]["xmpp"]) == {5222: ("", "5222")}
    for name, service in compose["services"].items():
        if name not in ("gateway", "xmpp"):
            assert not service.get("ports"), f"{name} publishes a port"


def test_the_host_ports_can_be_moved(compose: dict[str, Any]) -> None:
    moved = config(
        REPO_ROOT, CLEAN_ENV | {"VTN_HTTP_PORT": "24180", "VTN_ADMIN_PORT": "24181", "VTN_XMPP_PORT": "24182"}
    )
    assert _published(moved["services"]["gateway"]) == {8080: ("", "24180"), 8081: ("127.0.0.1", "24181")}
    assert _published(moved["services"]["xmpp"]) == {5222: ("", "24182")}


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
    assert services["xmpp"]["build"]["args"] == {"DEBIAN_IMAGE": "debian:bookworm-slim"}
    stand_ins = {
        "VTN_KAFKA_IMAGE": "k:1",
        "VTN_POSTGRES_IMAGE": "p:1",
        "VTN_PYTHON_IMAGE": "py:1",
        "VTN_NODE_IMAGE": "n:1",
        "VTN_DEBIAN_IMAGE": "d:1",
    }
    replaced = config(REPO_ROOT, CLEAN_ENV | stand_ins)["services"]
    assert (replaced["kafka"]["image"], replaced["postgres"]["image"]) == ("k:1", "p:1")
    assert replaced["xmpp"]["build"]["args"]["DEBIAN_IMAGE"] == "d:1"
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


@pytest.mark.parametrize("name", ["gateway", "gateway-xmpp"])
def test_the_gateway_and_the_connector_read_their_tls_files_from_a_mounted_volume(
    compose: dict[str, Any], name: str
) -> None:
    service = compose["services"][name]
    files = {setting: path for setting, path in service["environment"].items() if setting in FILE_SETTINGS}
    assert {"VTN_HTTP_CA_FILE", "VTN_CERT", "VTN_KEY"} <= set(files)
    mounts = _mounts(service)
    setup = compose["services"]["tls-setup"]
    copy_command = " ".join(setup["command"])
    for setting, path in files.items():
        directory, _, file_name = path.rpartition("/")
        assert directory in mounts, f"{setting}={path} is not in a volume mounted into {name}"
        assert mounts[directory]["read_only"] is True
        # tls-setup fills that volume from the certificates directory `make certs` writes
        assert _mounts(setup)[directory]["source"] == mounts[directory]["source"]
        assert f"/certs/{file_name}" in copy_command and f" {file_name}" in copy_command
    assert _mounts(setup)["/certs"]["source"] == str(REPO_ROOT / ".devstack" / "certs")
    assert "chown -R 10001:10001" in copy_command and "chmod 0400" in copy_command
    assert _conditions(service)["tls-setup"] == "service_completed_successfully"


def _image_defaults(dockerfile: Path) -> dict[str, str]:
    """The ENV of a Dockerfile (one ENV instruction, continued over lines), as name -> value."""
    text = dockerfile.read_text().replace("\\\n", " ")
    [line] = [line for line in text.splitlines() if line.startswith("ENV ")]
    return dict(item.split("=", 1) for item in line.split()[1:])


def test_the_xmpp_server_gets_its_certificate_and_the_client_ca_and_none_of_the_vtns_keys(
    compose: dict[str, Any],
) -> None:
    xmpp = compose["services"]["xmpp"]
    mounts = _mounts(xmpp)
    assert set(mounts) == {"/etc/openadr-xmpp/tls"} and mounts["/etc/openadr-xmpp/tls"]["read_only"] is True
    volume = mounts["/etc/openadr-xmpp/tls"]["source"]
    assert volume != _mounts(compose["services"]["gateway"])["/etc/vtn/tls"]["source"]
    defaults = _image_defaults(REPO_ROOT / "deploy" / "xmpp" / "Dockerfile")
    copy_command = " ".join(compose["services"]["tls-setup"]["command"])
    assert _mounts(compose["services"]["tls-setup"])["/etc/openadr-xmpp/tls"]["source"] == volume
    for setting in ("OPENADR_XMPP_CERT", "OPENADR_XMPP_KEY", "OPENADR_XMPP_CLIENT_CA"):
        assert defaults[setting].startswith("/etc/openadr-xmpp/tls/")
    copies = [part.split()[1:] for part in copy_command.split("&&") if part.split()[:1] == ["cp"]]
    into_xmpp = {src: dest for *sources, dest in copies if dest.startswith("/etc/openadr-xmpp/") for src in sources}
    assert into_xmpp == {
        "/certs/xmpp.crt": "/etc/openadr-xmpp/tls/",
        "/certs/xmpp.key": "/etc/openadr-xmpp/tls/",
        "/certs/ca.crt": "/etc/openadr-xmpp/tls/client-ca.crt",
    }, "the XMPP server gets its own certificate and the CA, never the VTN's keys"
    assert defaults["OPENADR_XMPP_CLIENT_CA"] == "/etc/openadr-xmpp/tls/client-ca.crt"
    assert {defaults["OPENADR_XMPP_CERT"], defaults["OPENADR_XMPP_KEY"]} == {
        "/etc/openadr-xmpp/tls/xmpp.crt",
        "/etc/openadr-xmpp/tls/xmpp.key",
    }
    probe = " ".join(xmpp["healthcheck"]["test"])
    assert f"/dev/tcp/127.0.0.1/{defaults['OPENADR_XMPP_PORT']}" in probe


def test_the_connector_starts_after_the_xmpp_server_is_up_and_logs_in_to_it(compose: dict[str, Any]) -> None:
    connector = compose["services"]["gateway-xmpp"]
    assert _conditions(connector)["xmpp"] == "service_healthy"
    assert connector["environment"]["VTN_XMPP_SERVER"] == "xmpp:5222"


def test_the_vtns_xmpp_address_comes_from_the_file_make_certs_writes(tmp_path: Path) -> None:
    """registration_svc offers XMPP with it, the connector logs in to it, the server knows the VTN by it; no
    other process needs it. tls-setup refuses to start the stack without the file."""
    from devstack.certs import generate

    generate(tmp_path, [])
    address = (tmp_path / "xmpp.env").read_text().splitlines()[0].split("=", 1)[1]
    services = config(REPO_ROOT, CLEAN_ENV | {"VTN_CERTS_DIR": str(tmp_path)})["services"]
    told = {name for name, service in services.items() if "VTN_XMPP_ADDRESS" in service.get("environment", {})}
    assert told == {"registration_svc", "gateway-xmpp", "xmpp"}
    assert {services[name]["environment"]["VTN_XMPP_ADDRESS"] for name in told} == {address}
    assert services["xmpp"]["environment"]["OPENADR_XMPP_VTN"] == address
    assert " xmpp.env;" in " ".join(services["tls-setup"]["command"])


def test_make_certs_writes_an_xmpp_address_of_the_connectors_certificate_on_the_xmpp_servers_domain(
    compose: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cryptography import x509

    from devstack.certs import generate
    from gateway.xmpp.__main__ import server_of, tls_files
    from shared.fingerprints import fingerprint_of_pem
    from shared.xmpp_addresses import account_of

    issued = generate(tmp_path, ["ven1"])
    values = dict(line.split("=", 1) for line in (tmp_path / "xmpp.env").read_text().splitlines())
    assert values["VTN_XMPP_ADDRESS"] == values["OPENADR_XMPP_VTN"]
    account, _, domain = values["VTN_XMPP_ADDRESS"].partition("@")
    assert account == account_of(fingerprint_of_pem((tmp_path / "vtn-rsa.crt").read_bytes()))
    server_certificate = x509.load_pem_x509_certificate(issued["xmpp"].cert_path.read_bytes())
    names = server_certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert domain in names.get_values_for_type(x509.DNSName)
    for setting, value in compose["services"]["gateway-xmpp"]["environment"].items():
        monkeypatch.setenv(setting, str(value))
    monkeypatch.setenv("VTN_XMPP_ADDRESS", values["VTN_XMPP_ADDRESS"])
    settings = VtnSettings()
    assert settings.xmpp_domain == domain
    assert server_of(settings, domain) == ("xmpp", 5222)
    assert tls_files(settings) == ("/etc/vtn/tls/vtn-rsa.crt", "/etc/vtn/tls/vtn-rsa.key", None, "/etc/vtn/tls/ca.crt")


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
    for name in ("gateway", "gateway-xmpp"):
        for path in compose["services"][name]["environment"].values():
            if str(path).startswith("/etc/vtn/tls/"):
                assert (tmp_path / str(path).rsplit("/", 1)[1]).is_file()
    required = " ".join(compose["services"]["tls-setup"]["command"]).split("for f in ")[1].split(";")[0].split()
    assert {"xmpp.crt", "xmpp.key", "xmpp.env"} <= set(required)
    assert all((tmp_path / name).is_file() for name in required)
