"""Architecture rules that code review would otherwise have to remember."""

from __future__ import annotations

import ast
import functools
import re
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT

SERVICES = ("registration_svc", "event_svc", "report_svc", "presence_svc")


@functools.cache
def nodes_of(path: Path) -> tuple[ast.AST, ...]:
    """Every node of the file's syntax tree (parsed once per session: several rules walk every file)."""
    return tuple(ast.walk(ast.parse(path.read_text(), str(path))))


def imported_modules_of(path: Path) -> set[str]:
    found: set[str] = set()
    for node in nodes_of(path):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def imported_modules(package: str) -> set[str]:
    return {module for path in (REPO_ROOT / package).rglob("*.py") for module in imported_modules_of(path)}


@pytest.mark.parametrize("service", SERVICES)
def test_services_never_see_xml(service: str) -> None:
    xml_modules = {m for m in imported_modules(service) if m.startswith(("lxml", "shared.oadr_xml", "signxml", "xml"))}
    assert xml_modules == set()


@pytest.mark.parametrize("service", SERVICES)
def test_services_do_not_import_each_other_or_the_gateway(service: str) -> None:
    others = {p for p in (*SERVICES, "gateway") if p != service}
    assert {m for m in imported_modules(service) if m.split(".")[0] in others} == set()


def test_shared_depends_on_no_service() -> None:
    assert {m for m in imported_modules("shared") if m.split(".")[0] in (*SERVICES, "gateway")} == set()


def test_the_bus_knows_neither_openadr_nor_the_database() -> None:
    """shared/bus carries envelopes: which errors pass and which requests go stale are the services' rules
    (shared.bus.service_consumer.ServiceRules), so it imports no database or OpenADR module and names no
    OpenADR message."""
    bus = REPO_ROOT / "shared" / "bus"
    imported = {m for m in imported_modules("shared/bus") if m.startswith(("asyncpg", "shared.db", "shared.oadr"))}
    message_names = {
        f"{path.name}: {node.value}"
        for path in bus.rglob("*.py")
        for node in nodes_of(path)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and re.search(r"\boadr[A-Z]", node.value)
    }
    assert (imported, message_names) == (set(), set())


MAINS = ("gateway", *SERVICES)


@pytest.mark.parametrize("package", MAINS)
def test_a_main_only_wires(package: str) -> None:
    """`__main__.py` reads as settings -> resources -> handlers: at its top level only imports, constants, the
    one wiring function (`setup`, or the gateway's `main`) and the start; no class, no other function."""
    tree = ast.parse((REPO_ROOT / package / "__main__.py").read_text())
    functions = [node.name for node in tree.body if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))]
    classes = [node.name for node in tree.body if isinstance(node, ast.ClassDef)]
    assert (functions, classes) in ((["setup"], []), (["main"], []))


CODE_PACKAGES = ("gateway", *SERVICES, "shared", "devstack")
PREFIX_GROUP = 3  # modules of one folder sharing a name prefix that make a sub-package waiting to be made


def prefixed_groups(folder: Path) -> dict[str, list[str]]:
    """Name prefixes (up to the first underscore) shared by PREFIX_GROUP or more modules of `folder`."""
    groups: dict[str, list[str]] = {}
    for path in sorted(folder.glob("*.py")):
        if "_" in path.stem.strip("_"):
            groups.setdefault(path.stem.split("_", 1)[0] + "_", []).append(path.name)
    return {prefix: names for prefix, names in groups.items() if len(names) >= PREFIX_GROUP}


def test_no_folder_stands_a_name_prefix_in_for_a_sub_package() -> None:
    """Modules whose names share a prefix (`vtn_*`, `confirmation_*`, `admin_*`) are a sub-package named after
    it, so the layout shows the subdomains."""
    folders = {path.parent for package in CODE_PACKAGES for path in (REPO_ROOT / package).rglob("*.py")}
    found = {str(folder.relative_to(REPO_ROOT)): groups for folder in folders if (groups := prefixed_groups(folder))}
    assert found == {}


def test_pure_domain_modules_do_no_io() -> None:
    """Answers and policies-free builders are pure: no database, no Kafka, no awaits."""
    for path in (
        Path(REPO_ROOT / "registration_svc" / "replies.py"),
        Path(REPO_ROOT / "shared" / "oadr" / "answers.py"),
        Path(REPO_ROOT / "shared" / "awaited_replies.py"),
        Path(REPO_ROOT / "event_svc" / "answer_waits" / "decisions.py"),
    ):
        tree = ast.parse(path.read_text())
        assert not any(isinstance(node, (ast.Await, ast.AsyncFunctionDef)) for node in ast.walk(tree)), path


RUNTIME_PACKAGES = ("gateway", *SERVICES, "shared")


def openleadr_references(package: str) -> list[str]:
    """Imports of OpenLEADR, and module names handed to importlib (find_spec, import_module) as strings."""
    found = [f"import {m}" for m in imported_modules(package) if m.split(".")[0] == "openleadr"]
    for path in (REPO_ROOT / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                if node.value == "openleadr" or node.value.startswith("openleadr."):
                    found.append(f"{path.relative_to(REPO_ROOT)}: {node.value!r}")
    return found


@pytest.mark.parametrize("package", RUNTIME_PACKAGES)
def test_runtime_packages_do_not_need_openleadr(package: str) -> None:
    """OpenLEADR is a test and benchmark dependency: the image does not install it. The compatibility modules
    (report_svc/ven_reports/openleadr_compat.py, shared/openleadr_events.py) take OpenLEADR's shapes, not its package."""
    assert openleadr_references(package) == []


KAFKA_CLIENT_MAKERS = frozenset(
    {
        "AIOKafkaProducer",
        "AIOKafkaConsumer",
        "AIOKafkaAdminClient",
        "AIOKafkaClient",
        "AIOKafkaConnection",
        "create_conn",
    }
)
POSTGRES_CONNECTION_MAKERS = frozenset({"connect", "create_pool"})


def project_python_files() -> list[Path]:
    """Every Python file of the project, tests and benchmarks included (not the venv or devstack state)."""
    tops = [entry for entry in REPO_ROOT.iterdir() if not entry.name.startswith(".")]
    found = [top for top in tops if top.suffix == ".py"] + [
        path for top in tops if top.is_dir() for path in top.rglob("*.py")
    ]
    return [path for path in found if not any(part.startswith(".") for part in path.relative_to(REPO_ROOT).parts)]


def called_names(path: Path) -> set[str]:
    """Names called in `path` (`f(...)`, `module.f(...)`) and names imported under another name (`as`)."""
    found: set[str] = set()
    for node in nodes_of(path):
        if isinstance(node, ast.Call):
            function = node.func
            if isinstance(function, ast.Name):
                found.add(function.id)
            elif isinstance(function, ast.Attribute):
                found.add(function.attr)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            found.update(alias.name.rsplit(".", 1)[-1] for alias in node.names if alias.asname)
    return found


def test_kafka_clients_are_constructed_only_where_the_connection_settings_are_applied() -> None:
    """Every aiokafka client and connection, of every process, test helper and benchmark, comes from
    shared.bus.clients, which gives it the process's brokers, TLS and SASL: none can skip them."""
    makers = {
        str(path.relative_to(REPO_ROOT)): sorted(KAFKA_CLIENT_MAKERS & called_names(path))
        for path in project_python_files()
    }
    assert {path: names for path, names in makers.items() if names} == {
        "shared/bus/clients.py": ["AIOKafkaAdminClient", "AIOKafkaConsumer", "AIOKafkaProducer", "create_conn"]
    }


def test_postgresql_connections_are_opened_only_where_the_tls_settings_are_applied() -> None:
    """The VTN's processes open PostgreSQL connections only through shared.db.pool, with the TLS settings
    (tests reach the local test database their own way)."""
    opened = {
        str(path.relative_to(REPO_ROOT))
        for path in project_python_files()
        if path.relative_to(REPO_ROOT).parts[0] in (*SERVICES, "gateway", "shared", "bench")
        and "asyncpg" in imported_modules_of(path)
        and POSTGRES_CONNECTION_MAKERS & called_names(path)
    }
    assert opened == {"shared/db/pool.py"}
