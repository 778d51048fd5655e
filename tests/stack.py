"""The whole VTN on the real Kafka broker and PostgreSQL that `make test` started (fixtures registered by tests/conftest.py).

One stack per test session: topics provisioned, migrations applied, every service and the gateway
started as real processes (so tests can kill and restart them), with short poll intervals.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import httpx
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from openleadr.messaging import create_message

from devstack.processes import ManagedProcess
from shared.bus import clients
from shared.bus.connection import KafkaConnection
from shared.contract.envelope import Envelope
from tests.conftest import REPO_ROOT

SERVICES = ("registration_svc", "presence_svc", "event_svc", "report_svc", "gateway", "gateway.push", "gateway.xmpp")
HTTP_PORT = int(os.environ.get("VTN_TEST_HTTP_PORT", "18080"))
ADMIN_PORT = int(os.environ.get("VTN_TEST_ADMIN_PORT", "18081"))
# Each service's /healthz, /readyz, /metrics (the gateway serves them on ADMIN_PORT), 50 above the HTTP port
# so that they stay clear of the Kafka and PostgreSQL ports chosen next to it
HEALTH_PORTS = {name: HTTP_PORT + 50 + i for i, name in enumerate(SERVICES) if name != "gateway"}
ADMIN_TOKEN = "integration-test-token"
POLL_INTERVAL_SECONDS = 1.0
OFFLINE_AFTER_MISSED_POLLS = 2


@dataclass
class RunningVtn:
    url: str
    admin_url: str
    kafka_bootstrap: str
    database_url: str
    hook_log: Path
    processes: dict[str, ManagedProcess] = field(default_factory=dict)

    def restart(self, name: str, *, kill: bool = False) -> None:
        process = self.processes[name]
        if kill:
            process.kill()
            process.await_stop(10)
        else:
            process.stop(timeout=20)
        process.start()

    def hook_calls(self) -> list[str]:
        return self.hook_log.read_text().splitlines() if self.hook_log.exists() else []


def _required_env(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        pytest.fail(f"{name} is not set: run the integration tests with `make test`, which starts Kafka and PostgreSQL")
    return value


def _run_step(module: str, env: dict[str, str]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", module], env=env, cwd=REPO_ROOT, capture_output=True, text=True, timeout=180
    )
    if result.returncode != 0:
        pytest.fail(f"{module} failed:\n{result.stdout}\n{result.stderr}")


async def wait_until_serving(vtn: RunningVtn, timeout: float = 90.0) -> None:
    """Every consumer group must have its partitions before tests start: probe each path once."""
    probes = [
        ("EiRegisterParty", create_message("oadrQueryRegistration", request_id="probe"), "200"),
        ("OadrPoll", create_message("oadrPoll", ven_id="probe-unknown-ven"), "452"),
        ("EiEvent", create_message("oadrRequestEvent", request_id="probe", ven_id="probe-unknown-ven"), "452"),
        (
            "EiReport",
            create_message("oadrRegisterReport", request_id="probe", ven_id="probe-unknown-ven", reports=[]),
            "452",
        ),
    ]
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(base_url=vtn.url, timeout=10) as http:
        for service, body, expected in probes:
            while True:
                try:
                    answer = await http.post(f"/{service}", content=body.encode())
                    if answer.status_code == 200 and f"<ei:responseCode>{expected}<" in answer.text:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    logs = "\n".join(f"--- {n}\n{p.log_tail(15)}" for n, p in vtn.processes.items())
                    pytest.fail(f"the VTN did not serve {service} within {timeout:.0f}s\n{logs}")
                await asyncio.sleep(0.5)
        while True:
            answer = await http.get(f"{vtn.admin_url}/api/v1/vens", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
            if answer.status_code == 200:
                break
            if time.monotonic() > deadline:
                pytest.fail(f"the admin API did not answer: {answer.status_code} {answer.text}")
            await asyncio.sleep(0.5)


@pytest.fixture(scope="session")
def vtn_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    hook_log = tmp_path_factory.mktemp("hooks") / "presence-hooks.log"
    return {
        **os.environ,
        "PYTHONPATH": str(REPO_ROOT),
        "PYTHONUNBUFFERED": "1",
        "VTN_KAFKA_BOOTSTRAP": _required_env("VTN_KAFKA_BOOTSTRAP"),
        "VTN_DATABASE_URL": _required_env("VTN_DATABASE_URL"),
        "VTN_HTTP_PORT": str(HTTP_PORT),
        "VTN_ADMIN_PORT": str(ADMIN_PORT),
        "VTN_ADMIN_TOKEN": ADMIN_TOKEN,
        "VTN_POLL_INTERVAL_SECONDS": str(POLL_INTERVAL_SECONDS),
        "VTN_OFFLINE_AFTER_MISSED_POLLS": str(OFFLINE_AFTER_MISSED_POLLS),
        "VTN_PRESENCE_SWEEP_SECONDS": "0.5",
        "VTN_PRESENCE_FLUSH_SECONDS": "0.3",
        "VTN_REPLY_TIMEOUT_SECONDS": "5",
        "VTN_ON_VEN_ONLINE": "tests.integration.hooks:on_ven_online",
        "VTN_ON_VEN_OFFLINE": "tests.integration.hooks:on_ven_offline",
        "VTN_TEST_HOOK_LOG": str(hook_log),
        "VTN_REPORT_POLICY": "telemetry",
        "VTN_REPORT_GRANULARITY_SECONDS": "1",
        "VTN_REPORT_BACK_DURATION_SECONDS": "1",
        # tests/integration/test_report_confirmations.py: a look every 0.5 s, one resend before giving up
        "VTN_REPORT_CONFIRM_CHECK_SECONDS": "0.5",
        "VTN_REPORT_RESEND_LIMIT": "1",
        "VTN_ON_UPDATE_REPORT": "tests.integration.report_hooks:on_update_report",
        "VTN_ON_CREATED_EVENT": "tests.integration.event_hooks:on_created_event",
        "VTN_EVENT_REFRESH_SECONDS": "0.5",
        # tests/integration/test_event_answer_waits.py: a look every 0.5 s, one resend before giving up
        "VTN_EVENT_CONFIRM_CHECK_SECONDS": "0.5",
        "VTN_EVENT_RESEND_LIMIT": "1",
        # the VTN's METADATA on the first poll changes what other tests' VENs see; tests/integration/test_vtn_reports.py turns it on
        "VTN_OFFER_REPORTS_ON_REGISTRATION": "false",
        # the console's fleet figures are re-counted this often (tests/integration/test_console_api.py)
        "VTN_CONSOLE_FLEET_REFRESH_SECONDS": "2",
        # tests/integration/test_push*.py: push VENs listen on loopback; retries fast, offline after 4 s of failures
        "VTN_PUSH_ALLOWED_NETWORKS": "127.0.0.0/8",
        "VTN_PUSH_RETRY_INITIAL_SECONDS": "0.2",
        "VTN_PUSH_RETRY_MAX_SECONDS": "2",
        "VTN_PUSH_OFFLINE_AFTER_SECONDS": "4",
        "VTN_PUSH_TIMEOUT_SECONDS": "3",
        "VTN_PUSH_RESCAN_SECONDS": "5",
        # tests/integration/test_xmpp*.py: the stack's XMPP server, the connector logging in with its client certificate
        **xmpp_settings(),
    }


def xmpp_settings() -> dict[str, str]:
    """The VTN's XMPP settings for the devstack's XMPP server (devstack.stack.Infrastructure.xmpp_settings)."""
    tls = Path(_required_env("VTN_DEVSTACK_TLS_DIR"))
    return {
        "VTN_XMPP_ADDRESS": _required_env("VTN_DEVSTACK_XMPP_ADDRESS"),
        "VTN_XMPP_SERVER": _required_env("VTN_DEVSTACK_XMPP_SERVER"),
        "VTN_XMPP_CLIENT_CERT": str(tls / "client.crt"),
        "VTN_XMPP_CLIENT_KEY": str(tls / "client.key"),
        "VTN_XMPP_CA_FILE": str(tls / "ca.crt"),
    }


@pytest.fixture(scope="session")
async def vtn(vtn_env: dict[str, str]) -> AsyncIterator[RunningVtn]:
    log_dir = Path(os.environ.get("VTN_DEVSTACK_LOG_DIR", REPO_ROOT / ".devstack" / "test" / "logs"))
    _run_step("shared.bus.provision", vtn_env)
    _run_step("shared.db.migrate", vtn_env)
    running = RunningVtn(
        url=f"http://127.0.0.1:{HTTP_PORT}/OpenADR2/Simple/2.0b",
        admin_url=f"http://127.0.0.1:{ADMIN_PORT}",
        kafka_bootstrap=vtn_env["VTN_KAFKA_BOOTSTRAP"],
        database_url=vtn_env["VTN_DATABASE_URL"],
        hook_log=Path(vtn_env["VTN_TEST_HOOK_LOG"]),
    )
    for name in SERVICES:
        env = {**vtn_env, "VTN_HEALTH_PORT": str(HEALTH_PORTS[name])} if name in HEALTH_PORTS else vtn_env
        process = ManagedProcess(
            name, [sys.executable, "-m", name], env, log_dir / f"{name}.log", cwd=REPO_ROOT, new_session=True
        )
        process.start()
        running.processes[name] = process
    try:
        running.processes["gateway"].wait_for_port("127.0.0.1", HTTP_PORT, timeout=60)
        await wait_until_serving(running)
        yield running
    finally:
        for process in reversed(list(running.processes.values())):
            process.stop(timeout=20)


@pytest.fixture
async def http(vtn: RunningVtn) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=vtn.url, timeout=15) as client:
        yield client


@pytest.fixture
async def admin(vtn: RunningVtn) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        base_url=f"{vtn.admin_url}/api/v1", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}, timeout=15
    ) as client:
        yield client


@pytest.fixture
async def db(vtn: RunningVtn) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(vtn.database_url)
    try:
        yield conn
    finally:
        await conn.close()


async def find_on_topic(
    bootstrap: str, topic: str, predicate: Callable[[Envelope], bool], timeout: float = 20.0
) -> list[Envelope]:
    """Every record on `topic` (from the beginning) matching `predicate`; waits until at least one does."""
    consumer = clients.consumer(KafkaConnection(bootstrap), group_id=None, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for p in sorted(await _partitions(consumer, topic))]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        found: list[Envelope] = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            batches = await consumer.getmany(timeout_ms=300)
            for records in batches.values():
                for record in records:
                    envelope = Envelope.from_bytes(record.value)
                    if predicate(envelope):
                        found.append(envelope)
            if found and not batches:
                return found
        return found
    finally:
        await consumer.stop()


async def _partitions(consumer: AIOKafkaConsumer, topic: str) -> set[int]:
    for _ in range(50):
        await consumer._client.force_metadata_update()  # noqa: SLF001 - metadata for a topic we did not subscribe to
        found = consumer.partitions_for_topic(topic)
        if found:
            return found
        await asyncio.sleep(0.1)
    raise AssertionError(f"topic {topic} has no partitions")


@pytest.fixture
def unique() -> Iterator[Callable[[str], str]]:
    counter = iter(range(1_000_000))
    stamp = f"{time.time_ns():x}"

    def make(prefix: str) -> str:
        return f"{prefix}-{stamp}-{next(counter)}"

    yield make
