"""The VTN against a Kafka and a PostgreSQL that require TLS and SASL, as managed services do.

The devstack's broker has, beside the PLAINTEXT listener the rest of the suite uses, a SASL_SSL listener
(SCRAM-SHA-256, SCRAM-SHA-512 and PLAIN) and an SSL listener requiring a client certificate; its PostgreSQL
speaks TLS with a certificate naming localhost only. Everything here goes through the settings, as an
operator would configure them: records cross each secured listener, topic provisioning runs over SASL_SSL,
a VEN registers through a gateway and a registration_svc that reach both servers only over TLS, and a wrong
password, CA or host name stops a process at once with a message naming the setting.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx
import pytest
from aiokafka.admin import NewTopic

from devstack.processes import ManagedProcess
from devstack.stack_tls import StackTls
from shared.bus import clients
from shared.bus.broker_access import check_broker_access
from shared.bus.connection import KafkaConnection, kafka_connection
from shared.db.access import database_access
from shared.db.pool import open_pool
from shared.misconfigured import EXIT_MISCONFIGURED, Misconfigured
from shared.settings import VtnSettings
from tests.conftest import REPO_ROOT
from tests.integration.raw_ven import RawVen
from tests.stack import HEALTH_PORTS, HTTP_PORT, RunningVtn, wait_until_serving

LOCAL = "127.0.0.1"
# A second gateway, beside the session's, whose only way to Kafka and PostgreSQL is TLS
SECURED_HTTP_PORT = HTTP_PORT + 10
SECURED_ADMIN_PORT = HTTP_PORT + 11
REFUSED_HEALTH_PORT = HTTP_PORT + 8  # a service that must stop before serving anything
START_TIMEOUT = 60.0
REFUSAL_TIMEOUT = 30.0


@dataclass(frozen=True)
class SecuredServers:
    sasl_ssl: str  # host:port of the SASL_SSL listener
    mtls: str  # host:port of the SSL listener that requires a client certificate
    username: str
    password: str
    tls: StackTls
    database_url: str  # the session database, reached by the name its certificate carries

    def kafka_settings(self, mechanism: str = "SCRAM-SHA-512", **overrides: str) -> dict[str, str]:
        """The environment of a process that reaches Kafka over SASL_SSL."""
        return {
            "VTN_KAFKA_BOOTSTRAP": self.sasl_ssl,
            "VTN_KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
            "VTN_KAFKA_SSL_CA_FILE": str(self.tls.ca),
            "VTN_KAFKA_SASL_MECHANISM": mechanism,
            "VTN_KAFKA_SASL_USERNAME": self.username,
            "VTN_KAFKA_SASL_PASSWORD": self.password,
            **overrides,
        }

    def database_settings(self) -> dict[str, str]:
        """The environment of a process that reaches PostgreSQL over verified TLS (verify-full)."""
        return {"VTN_DATABASE_URL": self.database_url, "VTN_DATABASE_SSL_CA_FILE": str(self.tls.ca)}


def _devstack(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        pytest.fail(f"{name} is not set: run these tests with `make test`, whose devstack opens the secured listeners")
    return value


@pytest.fixture(scope="module")
def secured() -> SecuredServers:
    plain_url = _devstack("VTN_DATABASE_URL")
    return SecuredServers(
        sasl_ssl=_devstack("VTN_DEVSTACK_KAFKA_SASL_SSL_BOOTSTRAP"),
        mtls=_devstack("VTN_DEVSTACK_KAFKA_SSL_BOOTSTRAP"),
        username=_devstack("VTN_DEVSTACK_KAFKA_SASL_USERNAME"),
        password=_devstack("VTN_DEVSTACK_KAFKA_SASL_PASSWORD"),
        tls=StackTls(Path(_devstack("VTN_DEVSTACK_TLS_DIR"))),
        database_url=plain_url.replace(f"@{LOCAL}:", "@localhost:"),
    )


def settings_from(environment: dict[str, str]) -> VtnSettings:
    return VtnSettings(**{name.removeprefix("VTN_").lower(): value for name, value in environment.items()})


async def round_trip(kafka: KafkaConnection, topic: str) -> bytes:
    """Create `topic`, produce one record and consume it back, every client through `kafka`."""
    await check_broker_access(kafka, wait_seconds=30)
    admin = clients.admin_client(kafka)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(name=topic, num_partitions=1, replication_factor=1)])
    finally:
        await admin.close()
    producer = clients.producer(kafka, acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(topic, b"through the secured listener", key=b"ven")
    finally:
        await producer.stop()
    consumer = clients.consumer(kafka, topic, group_id=f"{topic}.reader", auto_offset_reset="earliest")
    await consumer.start()
    try:
        record = await asyncio.wait_for(consumer.getone(), timeout=30)
        await consumer.commit()
    finally:
        await consumer.stop()
    assert record.value is not None
    return record.value


@pytest.mark.parametrize("mechanism", ["SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN"])
async def test_records_cross_the_sasl_ssl_listener_with_each_mechanism(secured: SecuredServers, mechanism: str) -> None:
    kafka = kafka_connection(settings_from(secured.kafka_settings(mechanism)))
    topic = f"test.bus-security.{mechanism.lower()}.{time.time_ns():x}"
    assert await round_trip(kafka, topic) == b"through the secured listener"


def mtls_connection(secured: SecuredServers, cert: Path, key: Path) -> KafkaConnection:
    """To the listener that requires a client certificate, presenting `cert`."""
    return kafka_connection(
        settings_from(
            {
                "VTN_KAFKA_BOOTSTRAP": secured.mtls,
                "VTN_KAFKA_SECURITY_PROTOCOL": "SSL",
                "VTN_KAFKA_SSL_CA_FILE": str(secured.tls.ca),
                "VTN_KAFKA_SSL_CERT_FILE": str(cert),
                "VTN_KAFKA_SSL_KEY_FILE": str(key),
            }
        )
    )


async def test_records_cross_the_mtls_listener_with_a_client_certificate(secured: SecuredServers) -> None:
    kafka = mtls_connection(secured, secured.tls.client_cert, secured.tls.client_key)
    assert await round_trip(kafka, f"test.bus-security.mtls.{time.time_ns():x}") == b"through the secured listener"


async def test_the_mtls_listener_refuses_a_certificate_from_another_ca(secured: SecuredServers) -> None:
    kafka = mtls_connection(secured, secured.tls.stranger_cert, secured.tls.stranger_key)
    with pytest.raises(Misconfigured) as refused:
        await check_broker_access(kafka, wait_seconds=30, retry_seconds=0.2)
    assert "VTN_KAFKA_SSL_CERT_FILE" in refused.value.setting


def run_module(module: str, environment: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        env=environment,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_topic_provisioning_runs_over_sasl_ssl(secured: SecuredServers, vtn_env: dict[str, str]) -> None:
    environment = {**vtn_env, **secured.kafka_settings()}
    created = run_module("shared.bus.provision", environment)
    assert created.returncode == 0, created.stdout + created.stderr
    checked = run_module("shared.bus.provision", environment, "--check")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert '"action": "topics_ready"' in checked.stdout and '"security_protocol": "SASL_SSL"' in checked.stdout


@pytest.mark.parametrize(
    ("module", "wrong", "named"),
    [
        ("shared.bus.provision", {"VTN_KAFKA_SASL_PASSWORD": "not-the-password"}, "VTN_KAFKA_SASL_PASSWORD"),
        (
            "shared.bus.provision",
            {"VTN_KAFKA_SASL_MECHANISM": "SCRAM-SHA-256", "VTN_KAFKA_SASL_USERNAME": "nobody"},
            "VTN_KAFKA_SASL_USERNAME",
        ),
        ("shared.bus.provision", {"VTN_KAFKA_SSL_CA_FILE": "other-ca.crt"}, "VTN_KAFKA_SSL_CA_FILE"),
        ("registration_svc", {"VTN_KAFKA_SASL_PASSWORD": "not-the-password"}, "VTN_KAFKA_SASL_PASSWORD"),
        ("gateway", {"VTN_KAFKA_SSL_CA_FILE": "other-ca.crt"}, "VTN_KAFKA_SSL_CA_FILE"),
    ],
    ids=[
        "provision, wrong password",
        "provision, unknown user",
        "provision, wrong CA",
        "service, wrong password",
        "gateway, wrong CA",
    ],
)
def test_a_refused_login_or_certificate_stops_the_process_naming_the_setting(
    secured: SecuredServers, vtn_env: dict[str, str], module: str, wrong: dict[str, str], named: str
) -> None:
    wrong = {
        name: str(secured.tls.directory / value) if value.endswith(".crt") else value for name, value in wrong.items()
    }
    environment = {
        **vtn_env,
        **secured.kafka_settings(**wrong),
        "VTN_HEALTH_PORT": str(REFUSED_HEALTH_PORT),
        "VTN_HTTP_PORT": str(SECURED_HTTP_PORT),
        "VTN_ADMIN_PORT": str(SECURED_ADMIN_PORT),
    }
    started = time.monotonic()
    finished = subprocess.run(
        [sys.executable, "-m", module], env=environment, cwd=REPO_ROOT, capture_output=True, text=True,
        timeout=REFUSAL_TIMEOUT,
    )  # fmt: skip
    assert finished.returncode == EXIT_MISCONFIGURED, finished.stdout + finished.stderr
    assert time.monotonic() - started < REFUSAL_TIMEOUT
    assert '"action": "misconfigured"' in finished.stdout and named in finished.stdout, finished.stdout
    assert secured.password not in finished.stdout + finished.stderr


async def test_postgresql_verify_full_connects_over_tls(secured: SecuredServers) -> None:
    pool = await open_pool(database_access(settings_from(secured.database_settings())), 1, 1, wait_seconds=10)
    try:
        assert await pool.fetchval("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()") is True
    finally:
        await pool.close()


async def test_postgresql_sees_the_client_certificate_and_refuses_one_from_another_ca(secured: SecuredServers) -> None:
    def with_certificate(cert: Path, key: Path) -> VtnSettings:
        files = {"VTN_DATABASE_SSL_CERT_FILE": str(cert), "VTN_DATABASE_SSL_KEY_FILE": str(key)}
        return settings_from({**secured.database_settings(), **files})

    pool = await open_pool(database_access(with_certificate(secured.tls.client_cert, secured.tls.client_key)), 1, 1)
    try:
        assert (
            await pool.fetchval("SELECT client_dn FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
            == "/O=VTN development/CN=vtn"
        )
    finally:
        await pool.close()
    with pytest.raises((asyncpg.PostgresConnectionError, OSError)):
        await open_pool(
            database_access(with_certificate(secured.tls.stranger_cert, secured.tls.stranger_key)), 1, 1, wait_seconds=1
        )


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"VTN_DATABASE_SSL_CA_FILE": "other-ca.crt"}, "VTN_DATABASE_SSL_CA_FILE"),
        ({"VTN_DATABASE_URL": "by-address"}, "VTN_DATABASE_URL"),
    ],
    ids=["wrong CA", "wrong host name"],
)
async def test_postgresql_with_a_wrong_ca_or_host_name_is_refused_at_once(
    secured: SecuredServers, change: dict[str, str], named: str
) -> None:
    environment = secured.database_settings()
    if "VTN_DATABASE_SSL_CA_FILE" in change:
        environment["VTN_DATABASE_SSL_CA_FILE"] = str(secured.tls.other_ca)
    else:
        environment["VTN_DATABASE_URL"] = secured.database_url.replace(
            "@localhost:", f"@{LOCAL}:"
        )  # not in its certificate
    started = time.monotonic()
    with pytest.raises(Misconfigured) as refused:
        await open_pool(database_access(settings_from(environment)), 1, 1, wait_seconds=30)
    assert refused.value.setting == named
    assert time.monotonic() - started < 10


@pytest.fixture
async def secured_registration(
    vtn: RunningVtn, vtn_env: dict[str, str], secured: SecuredServers
) -> AsyncIterator[dict[str, ManagedProcess]]:
    """The session's registration_svc stopped (so that the secured one is the only member of its group), a
    registration_svc and a gateway reaching Kafka over SASL_SSL and PostgreSQL over verify-full; afterwards the
    session's registration_svc back, serving."""
    log_dir = Path(os.environ.get("VTN_DEVSTACK_LOG_DIR", REPO_ROOT / ".devstack" / "test" / "logs"))
    environment = {
        **vtn_env,
        **secured.kafka_settings(),
        **secured.database_settings(),
        "VTN_HTTP_PORT": str(SECURED_HTTP_PORT),
        "VTN_ADMIN_PORT": str(SECURED_ADMIN_PORT),
        "VTN_HEALTH_PORT": str(HEALTH_PORTS["registration_svc"]),
    }
    started: dict[str, ManagedProcess] = {}
    vtn.processes["registration_svc"].stop(timeout=20)
    try:
        for name in ("registration_svc", "gateway"):
            process = ManagedProcess(
                f"secured-{name}", [sys.executable, "-m", name], {**environment, "VTN_INSTANCE_ID": f"secured-{name}"},
                log_dir / f"secured-{name}.log", cwd=REPO_ROOT, new_session=True,
            )  # fmt: skip
            process.start()
            started[name] = process
        started["gateway"].wait_for_port(LOCAL, SECURED_HTTP_PORT, timeout=START_TIMEOUT)
        yield started
    finally:
        for process in reversed(list(started.values())):
            process.stop(timeout=20)
        vtn.processes["registration_svc"].start()
        await wait_until_serving(vtn)


async def ready(url: str, timeout: float) -> httpx.Response:
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(timeout=5) as client:
        while True:
            try:
                answer = await client.get(url)
                if answer.status_code == 200:
                    return answer
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, f"{url} not ready within {timeout:.0f}s"
            await asyncio.sleep(0.5)


async def test_a_ven_registers_through_a_gateway_and_service_that_reach_kafka_and_postgresql_only_over_tls(
    secured_registration: dict[str, ManagedProcess],
) -> None:
    readiness = await ready(f"http://{LOCAL}:{HEALTH_PORTS['registration_svc']}/readyz", START_TIMEOUT)
    assert readiness.json()["status"] == "ready"
    await ready(f"http://{LOCAL}:{SECURED_ADMIN_PORT}/readyz", START_TIMEOUT)
    async with httpx.AsyncClient(
        base_url=f"http://{LOCAL}:{SECURED_HTTP_PORT}/OpenADR2/Simple/2.0b", timeout=15
    ) as http:
        ven = await RawVen(http, f"secured-ven-{time.time_ns():x}").register()
    assert ven.ven_id
    for process in secured_registration.values():
        log = process.log_tail(400)
        assert '"action": "kafka_access_checked"' in log and '"security_protocol": "SASL_SSL"' in log, log
