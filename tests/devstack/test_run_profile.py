"""`python -m devstack run --keep-data` (`make run KEEP=1`) as a pilot lives with it, on ports and a folder of
its own: a service or a server killed with SIGKILL is started again (counted and logged) while the rest keep
serving; SIGINT stops every process; a second run on the kept data still knows the VEN registered in the first.

The tests run in file order on one stack: each step starts where the previous one left it.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from devstack.cli import SERVICES
from devstack.config import StackConfig
from devstack.processes import pid_alive, port_is_free
from devstack.stack import Infrastructure
from tests.conftest import REPO_ROOT
from tests.integration.raw_ven import RawVen
from tests.waiting import until, until_async

pytestmark = pytest.mark.integration

LOCAL = "127.0.0.1"
ADMIN_TOKEN = "run-profile-test-token"
# Beside the ports of `make test` (the session stack, the fault suite's stack), clear of both.
INFRA_PORT_OFFSET = 30
HTTP_PORT_OFFSET = 40
START_TIMEOUT = 240.0


class PilotRun:
    """One `python -m devstack run --keep-data` at a time, its output in a file, its folder kept across runs."""

    def __init__(self, state_dir: Path, output_dir: Path) -> None:
        test_profile = StackConfig.from_env("test")
        self.output_dir = output_dir
        self.http_port = int(os.environ.get("VTN_TEST_HTTP_PORT", "18080")) + HTTP_PORT_OFFSET
        self.admin_port = self.http_port + 1
        self.health_port = self.http_port + 50
        self.config = replace(
            test_profile,
            state_dir=state_dir,
            kafka_port=test_profile.kafka_port + INFRA_PORT_OFFSET,
            kafka_controller_port=test_profile.kafka_port + INFRA_PORT_OFFSET + 1,
            pg_port=test_profile.pg_port + INFRA_PORT_OFFSET,
            keep_data=True,
        )
        self.infra = Infrastructure(self.config)  # only to find the servers' folders and pid files
        self.runs = 0
        self._runner: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://{LOCAL}:{self.http_port}/OpenADR2/Simple/2.0b"

    @property
    def admin_url(self) -> str:
        return f"http://{LOCAL}:{self.admin_port}/api/v1"

    @property
    def output_path(self) -> Path:
        return self.output_dir / f"run-profile-runner-{self.runs}.out"

    def output(self) -> str:
        return self.output_path.read_text(errors="replace")

    def env(self) -> dict[str, str]:
        inherited = {
            k: v for k, v in os.environ.items() if k not in ("VTN_DEVSTACK_KEEP_DATA", "VTN_HEALTH_PORT", "PYTEST_ARGS")
        }
        return {
            **inherited,
            "VTN_DEVSTACK_DIR": str(self.config.state_dir),
            "VTN_DEVSTACK_KAFKA_PORT": str(self.config.kafka_port),
            "VTN_DEVSTACK_KAFKA_CONTROLLER_PORT": str(self.config.kafka_controller_port),
            "VTN_DEVSTACK_PG_PORT": str(self.config.pg_port),
            "VTN_DEVSTACK_HEALTH_PORT": str(self.health_port),
            "VTN_HTTP_PORT": str(self.http_port),
            "VTN_ADMIN_PORT": str(self.admin_port),
            "VTN_ADMIN_TOKEN": ADMIN_TOKEN,
        }

    def start(self) -> None:
        assert self._runner is None
        self.runs += 1
        self.output_dir.mkdir(parents=True, exist_ok=True)
        with self.output_path.open("wb") as output:
            self._runner = subprocess.Popen(
                [sys.executable, "-m", "devstack", "run", "--keep-data"],
                cwd=REPO_ROOT,
                env=self.env(),
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # a terminal's Ctrl-C reaches the runner alone: the tests send it
            )

    def interrupt(self, timeout: float = 120.0) -> int:
        """SIGINT to the runner, as a Ctrl-C; its exit status."""
        runner = self._require_runner()
        runner.send_signal(signal.SIGINT)
        code = runner.wait(timeout)  # on a timeout the runner stays known, for kill_everything()
        self._runner = None
        return code

    def kill_everything(self) -> None:
        """After a failed test: the runner and what it started, by their recorded pids."""
        pids = [pid for pid in (*self.service_pids().values(), self.kafka_pid(), self.postmaster_pid()) if pid]
        if self._runner is not None:  # first, so that it restarts nothing
            self._runner.kill()
            self._runner.wait()
            self._runner = None
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def _require_runner(self) -> subprocess.Popen[bytes]:
        assert self._runner is not None, "the runner is not running"
        return self._runner

    def runner_alive(self) -> bool:
        return self._runner is not None and self._runner.poll() is None

    def status(self) -> dict[str, dict[str, object]]:
        """The supervisor's status file (empty before it is written)."""
        try:
            loaded: dict[str, dict[str, object]] = json.loads((self.config.state_dir / "status.json").read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            return {}
        return loaded

    def service_pids(self) -> dict[str, int]:
        pids = {}
        for name in SERVICES:
            pid = _pid_in(self.config.state_dir / "pids" / f"{name}.pid")
            if pid is not None:
                pids[name] = pid
        return pids

    def kafka_pid(self) -> int | None:
        return _pid_in(self.infra.kafka.base_dir / "kafka.pid")

    def postmaster_pid(self) -> int | None:
        return _pid_in(self.infra.postgres.data_dir / "postmaster.pid")

    def ports(self) -> list[int]:
        return [
            self.http_port, self.admin_port, *range(self.health_port, self.health_port + 4),
            self.config.kafka_port, self.config.kafka_controller_port, self.config.pg_port,
        ]  # fmt: skip

    def describe(self) -> str:
        return f"runner output ({self.output_path}):\n" + "\n".join(self.output().splitlines()[-60:])


def _pid_in(path: Path) -> int | None:
    try:
        return int(path.read_text().split()[0])
    except (FileNotFoundError, IndexError, ValueError):
        return None


async def _until_serving(pilot: PilotRun, http: httpx.AsyncClient, ven: RawVen, timeout: float) -> None:
    """Until the VEN's poll is answered: its registration known, every service on the path up. The answer
    is an OK oadrResponse or a message queued for the VEN (the VTN offers its reports after registration)."""

    async def polled() -> bool:
        assert pilot.runner_alive(), pilot.describe()
        try:
            answer = await ven.poll()
        except Exception:  # no answer, or not an OpenADR document (a 503 while a service is away)
            return False
        return answer.http_status == 200 and (answer.message_type != "oadrResponse" or answer.response_code == 200)

    await until_async(polled, timeout, f"a poll answered 200\n{pilot.describe()}")


def _remove_kept_data(run: PilotRun) -> None:
    """Stop whatever still runs on the kept data and remove it (the servers even if a runner died); logs stay."""
    run.infra.kafka.destroy()
    run.infra.postgres.destroy()
    shutil.rmtree(run.config.state_dir / "data", ignore_errors=True)


@pytest.fixture(scope="module")
def pilot() -> Iterator[PilotRun]:
    test_profile = StackConfig.from_env("test")
    run = PilotRun(test_profile.state_dir / "run-profile", output_dir=test_profile.log_dir)
    _remove_kept_data(run)  # what a session that was killed outright may have left
    shutil.rmtree(run.config.state_dir, ignore_errors=True)
    run.start()
    try:
        yield run
    finally:
        run.kill_everything()
        _remove_kept_data(run)


@pytest.fixture
async def http(pilot: PilotRun) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=pilot.url, timeout=10) as client:
        yield client


@pytest.fixture
async def admin(pilot: PilotRun) -> AsyncIterator[httpx.AsyncClient]:
    headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    async with httpx.AsyncClient(base_url=pilot.admin_url, headers=headers, timeout=10) as client:
        yield client


registered: dict[str, str] = {}


async def _register_new_ven(pilot: PilotRun, http: httpx.AsyncClient, timeout: float) -> RawVen:
    """A new VEN registered (gateway, Kafka, registration_svc and PostgreSQL all serving: no answer from a
    cache), retrying until `timeout`; then its first poll answered."""
    ven = RawVen(http, f"pilot-ven-{time.time_ns():x}")
    deadline = time.monotonic() + timeout
    while True:
        assert pilot.runner_alive(), pilot.describe()
        try:
            await ven.register()
            break
        except Exception as error:  # no answer, a 503 or an error code while the VTN comes up: try again
            assert time.monotonic() < deadline, f"no VEN registered in {timeout:.0f} s: {error!r}\n{pilot.describe()}"
            await asyncio.sleep(1)
    await _until_serving(pilot, http, ven, 60)
    return ven


async def test_the_run_serves_a_ven(pilot: PilotRun, http: httpx.AsyncClient) -> None:
    ven = await _register_new_ven(pilot, http, START_TIMEOUT)
    assert ven.ven_id is not None
    registered["ven_id"] = ven.ven_id
    assert "kafka storage formatted" in pilot.output()
    async with httpx.AsyncClient(timeout=5) as probe:  # each service on its own port of VTN_DEVSTACK_HEALTH_PORT's four
        for port in range(pilot.health_port, pilot.health_port + 4):
            assert (await probe.get(f"http://{LOCAL}:{port}/healthz")).status_code == 200, port


async def test_a_killed_service_is_restarted_counted_and_logged_while_the_vtn_serves_again(
    pilot: PilotRun, http: httpx.AsyncClient
) -> None:
    victim = pilot.service_pids()["registration_svc"]
    others = {name: pid for name, pid in pilot.service_pids().items() if name != "registration_svc"}
    os.kill(victim, signal.SIGKILL)
    await until(lambda: pilot.status().get("registration_svc", {}).get("restarts") == 1, 30, "the restart")
    status = pilot.status()["registration_svc"]
    assert status["crashes"] == 1 and status["last_exit"] == "killed by SIGKILL", status
    assert "registration_svc crashed (killed by SIGKILL)" in pilot.output()
    assert pilot.service_pids()["registration_svc"] != victim
    assert {name: pid for name, pid in pilot.service_pids().items() if name != "registration_svc"} == others
    await _register_new_ven(pilot, http, 90)


async def test_killed_kafka_and_postgresql_come_back_on_their_data_and_services_reconnect(
    pilot: PilotRun, http: httpx.AsyncClient
) -> None:
    services = pilot.service_pids()
    kafka, postmaster = pilot.kafka_pid(), pilot.postmaster_pid()
    assert kafka is not None and postmaster is not None
    os.kill(kafka, signal.SIGKILL)
    os.kill(postmaster, signal.SIGKILL)
    await until(
        lambda: all(pilot.status().get(name, {}).get("restarts") == 1 for name in ("kafka", "postgres")),
        60,
        f"kafka and postgres restarted\n{pilot.describe()}",
    )
    assert pilot.status()["kafka"]["last_exit"] == "killed by SIGKILL"
    await _register_new_ven(pilot, http, 180)
    assert pilot.service_pids() == services, "the services reconnect by themselves: none was restarted"


async def test_sigint_stops_every_process_and_keeps_the_data(pilot: PilotRun) -> None:
    pids = [*pilot.service_pids().values(), pilot.kafka_pid(), pilot.postmaster_pid()]
    assert pilot.interrupt() == 0, pilot.describe()
    assert not [pid for pid in pids if pid is not None and pid_alive(pid)], pilot.describe()
    assert all(port_is_free(LOCAL, port) for port in pilot.ports())
    output = pilot.output()
    assert output.index("SIGINT received: stopping") < output.index("kafka and postgres stopped, their data kept")
    assert "crashes during this run: kafka 1, postgres 1, registration_svc 1" in output, pilot.describe()
    assert pilot.infra.kafka.is_formatted() and pilot.infra.postgres.is_initialized()
    assert not (pilot.config.state_dir / "status.json").exists()


async def test_a_second_run_on_the_kept_data_still_knows_the_ven(
    pilot: PilotRun, http: httpx.AsyncClient, admin: httpx.AsyncClient
) -> None:
    pilot.start()
    ven = RawVen(http, "known")
    ven.ven_id = registered["ven_id"]
    await _until_serving(pilot, http, ven, START_TIMEOUT)
    answer = await admin.get(f"/vens/{registered['ven_id']}")
    assert answer.status_code == 200 and answer.json()["registered"] is True, answer.text
    output = pilot.output()
    assert "kafka: reusing the broker's data" in output and "postgres: reusing the cluster" in output
    assert "kafka storage formatted" not in output
    logs = pilot.config.log_dir
    assert "migration_applied" not in (logs / "migrate.log").read_text()
    assert "topic_created" not in (logs / "provision.log").read_text()
    assert pilot.interrupt() == 0, pilot.describe()
