"""Operating the VTN on the real stack: probes, metrics, PostgreSQL outages, SIGTERM during a burst."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import time
from collections.abc import AsyncIterator, Callable

import httpx
import pytest
from openleadr.messaging import create_message

from devstack.config import StackConfig
from devstack.postgres import PostgresCluster
from devstack.stack import Infrastructure
from shared.settings import VtnSettings
from tests.integration.raw_ven import RawVen, new_request_id
from tests.stack import ADMIN_PORT, HEALTH_PORTS, HTTP_PORT, RunningVtn

LOCAL = "127.0.0.1"


def _health_urls() -> dict[str, str]:
    urls = {name: f"http://{LOCAL}:{port}" for name, port in HEALTH_PORTS.items()}
    urls["gateway"] = f"http://{LOCAL}:{ADMIN_PORT}"
    return urls


async def _wait_for_status(url: str, status: int, timeout: float) -> httpx.Response:
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(timeout=5) as client:
        while True:
            try:
                answer = await client.get(url)
                if answer.status_code == status:
                    return answer
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, f"{url} did not answer {status} within {timeout:.0f}s"
            await asyncio.sleep(0.5)


def metric_sample(metrics: str, name: str, **labels: str) -> float:
    """The value of one sample of the text exposition (0 when absent)."""
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    pattern = re.compile(rf"^{re.escape(name)}(\{{(?P<labels>[^}}]*)\}})? (?P<value>\S+)$", re.MULTILINE)
    for match in pattern.finditer(metrics):
        found = ",".join(sorted((match.group("labels") or "").split(","))) if match.group("labels") else ""
        if found == wanted:
            return float(match.group("value"))
    return 0.0


async def test_every_process_is_live_and_ready(vtn: RunningVtn) -> None:
    async with httpx.AsyncClient(timeout=5) as client:
        for name, url in _health_urls().items():
            assert (await client.get(f"{url}/healthz")).status_code == 200, name
            ready = await _wait_for_status(f"{url}/readyz", 200, timeout=30)
            checks = ready.json()["checks"]
            assert all(result == "ok" for result in checks.values()), (name, checks)
            if name != "gateway":
                assert "postgres" in checks and any(check.startswith("kafka:") for check in checks)


async def test_metrics_count_a_vens_polls(
    vtn: RunningVtn, http: httpx.AsyncClient, unique: Callable[[str], str]
) -> None:
    ven = await RawVen(http, unique("metrics-ven")).register()
    assert (await ven.poll()).response_code == 200  # the first poll asks registration_svc, then it is cached
    metrics_url = f"http://{LOCAL}:{ADMIN_PORT}/metrics"
    async with httpx.AsyncClient(timeout=5) as client:
        before = (await client.get(metrics_url)).text
        polls = 7
        for _ in range(polls):
            assert (await ven.poll()).response_code == 200
        after = (await client.get(metrics_url)).text
        service_metrics = (await client.get(f"http://{LOCAL}:{HEALTH_PORTS['registration_svc']}/metrics")).text

    def delta(name: str, **labels: str) -> float:
        return metric_sample(after, name, **labels) - metric_sample(before, name, **labels)

    assert delta("vtn_http_requests_total", endpoint="OadrPoll", outcome="200") >= polls
    # A notice about the new VEN may still drop its cached answer once: count lookups, and require hits.
    assert delta("vtn_poll_cache_hits_total") + delta("vtn_poll_cache_misses_total") >= polls
    assert delta("vtn_poll_cache_hits_total") >= 1
    assert delta("vtn_http_request_duration_seconds_count", endpoint="OadrPoll") >= polls
    assert metric_sample(after, "vtn_kafka_produced_total", topic="oadr.registration.requests.v1", result="ok") >= 2
    assert (
        metric_sample(
            service_metrics,
            "vtn_kafka_consumed_total",
            topic="oadr.registration.requests.v1",
            group="vtn.registration_svc",
        )
        >= 2
    )
    assert "vtn_event_loop_lag_seconds_count" in after and "vtn_kafka_consumer_lag{" in service_metrics


async def test_the_only_report_svc_publishes_every_lane_of_report_data(vtn: RunningVtn) -> None:
    """One report_svc consumes every report-request partition, so it publishes every lane (partition)."""
    partitions = VtnSettings.model_fields["topic_partitions"].default  # the test stack keeps the default
    url = f"http://{LOCAL}:{HEALTH_PORTS['report_svc']}/metrics"
    deadline = time.monotonic() + 30
    async with httpx.AsyncClient(timeout=5) as client:
        while (lanes := metric_sample((await client.get(url)).text, "vtn_report_data_lanes")) < partitions:
            assert time.monotonic() < deadline, f"report_svc publishes {lanes:.0f} lanes"
            await asyncio.sleep(0.5)
    assert lanes == partitions


@pytest.fixture
def session_postgres() -> PostgresCluster:
    """The PostgreSQL cluster `make test` started for this session (same folder and port)."""
    return Infrastructure(StackConfig.from_env("test")).postgres


async def test_readiness_follows_postgresql(vtn: RunningVtn, session_postgres: PostgresCluster) -> None:
    assert session_postgres.is_running(), "run with `make test`: the session's PostgreSQL is not where expected"
    registration = f"http://{LOCAL}:{HEALTH_PORTS['registration_svc']}/readyz"
    await _wait_for_status(registration, 200, timeout=30)
    session_postgres.stop(mode="fast")
    try:
        down = await _wait_for_status(registration, 503, timeout=30)
        assert down.json()["checks"]["postgres"] != "ok"
        # The gateway holds no database pool: it stays ready (VENs get 503s from the services' timeouts).
        assert (await httpx.AsyncClient().get(f"http://{LOCAL}:{ADMIN_PORT}/readyz")).status_code == 200
    finally:
        session_postgres.start()
    for name, url in _health_urls().items():
        up = await _wait_for_status(f"{url}/readyz", 200, timeout=60)
        assert up.json()["status"] == "ready", name


class RawConnection:
    """One keep-alive HTTP/1.1 connection, opened before the burst so the server has accepted it."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls) -> RawConnection:
        return cls(*await asyncio.open_connection(LOCAL, HTTP_PORT))

    def send(self, path: str, body: bytes) -> None:
        head = (
            f"POST {path} HTTP/1.1\r\nHost: vtn\r\nContent-Type: application/xml\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        self.writer.write(head.encode() + body)

    async def answer(self) -> tuple[int, bytes]:
        status_line = await self.reader.readline()
        assert status_line, "the connection was closed without an answer"
        length = 0
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode().partition(":")
            if name.lower() == "content-length":
                length = int(value)
        return int(status_line.split()[1]), await self.reader.readexactly(length)

    def close(self) -> None:
        self.writer.close()


@pytest.fixture
async def gateway_restored(vtn: RunningVtn) -> AsyncIterator[None]:
    yield
    registration = vtn.processes["registration_svc"]
    registration.resume()
    gateway = vtn.processes["gateway"]
    if gateway.is_running():
        gateway.stop(timeout=20)
    gateway.start()
    gateway.wait_for_port(LOCAL, HTTP_PORT, timeout=60)
    await _wait_for_status(f"http://{LOCAL}:{ADMIN_PORT}/readyz", 200, timeout=60)


async def test_sigterm_during_a_burst_finishes_every_request(vtn: RunningVtn, gateway_restored: None) -> None:
    """Requests in flight when SIGTERM arrives are answered; then the gateway exits cleanly.

    registration_svc is frozen while the burst is sent, so every request is still waiting for its reply
    when the gateway gets SIGTERM; it is thawed right after, and the replies must still reach the VENs.
    """
    burst = 40
    gateway, registration = vtn.processes["gateway"], vtn.processes["registration_svc"]
    connections = [await RawConnection.open() for _ in range(burst)]
    try:
        registration.pause()
        for connection in connections:
            body = create_message("oadrQueryRegistration", request_id=new_request_id()).encode()
            connection.send("/OpenADR2/Simple/2.0b/EiRegisterParty", body)
        await asyncio.sleep(1.0)  # every request parsed and published, all waiting for registration_svc
        assert gateway.pid is not None
        os.kill(gateway.pid, signal.SIGTERM)
        await asyncio.sleep(0.5)
        registration.resume()
        answers = await asyncio.wait_for(asyncio.gather(*(c.answer() for c in connections)), timeout=30)
    finally:
        registration.resume()
        for connection in connections:
            connection.close()
    assert [status for status, _ in answers] == [200] * burst
    assert all(b"oadrCreatedPartyRegistration" in body and b">200<" in body for _, body in answers)
    assert await asyncio.to_thread(gateway.wait, 30) == 0
    assert '"action": "gateway_stopped"' in gateway.log_tail(20)
