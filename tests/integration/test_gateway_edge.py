"""The gateway's edge on the real stack, against real gateway processes beside the plain development one:

- a TLS gateway with short timeouts and small caps: idle TCP and TLS connections and slow-loris clients are
  closed within the timeouts, a client over its cap is refused while another VEN registers and polls;
- an ingress-mode gateway (plain HTTP, the client certificate forwarded by a trusted proxy): a forwarded
  certificate the TLS handshake would refuse is refused with 463 and counted, a good one is served, and a
  flood of refusals writes a few log lines, not one per request."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import ssl
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from lxml import etree
from openleadr.messaging import create_message

from devstack.certs import Issued, issue, make_ca
from devstack.processes import ManagedProcess
from tests.gateway.security.certificate_cases import Authority, Client, authority, client, write_ca_file
from tests.slow_clients import seconds_until_closed, trickle
from tests.stack import ADMIN_PORT, HTTP_PORT, REPO_ROOT, RunningVtn

EDGE_PORT, EDGE_ADMIN_PORT = HTTP_PORT + 40, ADMIN_PORT + 40
INGRESS_PORT, INGRESS_ADMIN_PORT = HTTP_PORT + 42, ADMIN_PORT + 42
PREFIX = "/OpenADR2/Simple/2.0b"
HANDSHAKE_TIMEOUT, HEADER_TIMEOUT, BODY_TIMEOUT, KEEPALIVE = 1.0, 1.0, 2.0, 2.0
PER_CLIENT = 4
# How much later than its timeout a connection may close on a loaded test machine; without the timeouts
# these connections stay open for good.
SLACK = 3.0
SLOW_LORIS_VENS = 25


@dataclass
class EdgeGateway:
    port: int
    admin_port: int
    log_path: Path
    ca: Issued
    vens: dict[str, Issued]

    def tls(self, ven: str) -> ssl.SSLContext:
        context = ssl.create_default_context(cafile=str(self.ca.cert_path))
        context.load_cert_chain(self.vens[ven].cert_path, self.vens[ven].key_path)
        return context

    async def metrics(self) -> str:
        async with httpx.AsyncClient(timeout=10) as admin:
            return (await admin.get(f"http://127.0.0.1:{self.admin_port}/metrics")).text


def _start(name: str, env: dict[str, str], log_path: Path, port: int) -> ManagedProcess:
    process = ManagedProcess(name, [sys.executable, "-m", "gateway"], env, log_path, cwd=REPO_ROOT, new_session=True)
    process.start()
    process.wait_for_port("127.0.0.1", port, timeout=60)
    return process


@pytest.fixture(scope="module")
def edge_gateway(
    vtn: RunningVtn, vtn_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[EdgeGateway]:
    directory = tmp_path_factory.mktemp("edge-certs")
    ca, ca_key, ca_cert = make_ca(directory / "ca", "edge CA")
    server = issue(directory / "vtn", "localhost", "ecc", ca_key, ca_cert, server=True)
    names = ["ven1", "ven2", *(f"loris{i}" for i in range(SLOW_LORIS_VENS))]
    vens = {name: issue(directory / name, name, "ecc", ca_key, ca_cert, server=False) for name in names}
    env = {
        **vtn_env,
        "VTN_HTTP_PORT": str(EDGE_PORT),
        "VTN_ADMIN_PORT": str(EDGE_ADMIN_PORT),
        "VTN_INSTANCE_ID": "edge-gateway",
        "VTN_HTTP_ECC_CERT": str(server.cert_path),
        "VTN_HTTP_ECC_KEY": str(server.key_path),
        "VTN_HTTP_CA_FILE": str(ca.cert_path),
        "VTN_HTTP_TLS_HANDSHAKE_TIMEOUT_SECONDS": str(HANDSHAKE_TIMEOUT),
        "VTN_HTTP_REQUEST_HEADER_TIMEOUT_SECONDS": str(HEADER_TIMEOUT),
        "VTN_HTTP_REQUEST_BODY_TIMEOUT_SECONDS": str(BODY_TIMEOUT),
        "VTN_HTTP_KEEPALIVE_SECONDS": str(KEEPALIVE),
        "VTN_HTTP_MAX_CONNECTIONS_PER_CLIENT": str(PER_CLIENT),
        "VTN_HTTP_MAX_CONNECTIONS_PER_ADDRESS": "2000",
    }
    log_path = tmp_path_factory.mktemp("edge-logs") / "edge-gateway.log"
    process = _start("edge-gateway", env, log_path, EDGE_PORT)
    try:
        yield EdgeGateway(EDGE_PORT, EDGE_ADMIN_PORT, log_path, ca, vens)
    finally:
        process.stop(timeout=20)


async def open_tls(gateway: EdgeGateway, ven: str) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    return await asyncio.open_connection("127.0.0.1", gateway.port, ssl=gateway.tls(ven), server_hostname="localhost")


def counter(metrics: str, name: str, label: str) -> float:
    for line in metrics.splitlines():
        if line.startswith(f"{name}{{{label}}} "):
            return float(line.split()[-1])
    return 0.0


async def test_idle_tcp_and_tls_connections_are_closed_within_the_timeouts(edge_gateway: EdgeGateway) -> None:
    tcp = [await asyncio.open_connection("127.0.0.1", edge_gateway.port) for _ in range(300)]
    tls = [await open_tls(edge_gateway, "ven1") for _ in range(200)]  # a valid certificate, no request
    started = time.monotonic()
    closed = await asyncio.gather(*(seconds_until_closed(reader) for reader, _ in [*tcp, *tls]))
    assert max(closed[:300]) < HANDSHAKE_TIMEOUT + SLACK, "connections that never start TLS stay open"
    assert max(closed[300:]) < HEADER_TIMEOUT + SLACK, "TLS connections that send nothing stay open"
    assert time.monotonic() - started < max(HANDSHAKE_TIMEOUT, HEADER_TIMEOUT) + SLACK
    metrics = await edge_gateway.metrics()
    assert counter(metrics, "vtn_gateway_connections_timed_out_total", 'phase="tls_handshake"') >= 300
    # each TLS connection of ven1 was either over its cap or timed out waiting for a request (opening them one
    # after the other takes longer than the header timeout, so seats free up meanwhile)
    over_cap = counter(metrics, "vtn_gateway_connections_refused_total", 'reason="client_cap"')
    timed_out = counter(metrics, "vtn_gateway_connections_timed_out_total", 'phase="request_headers"')
    assert over_cap + timed_out == 200 and timed_out >= PER_CLIENT and over_cap > 0


async def test_slow_loris_clients_are_closed_at_the_header_timeout(edge_gateway: EdgeGateway) -> None:
    connections = [
        await open_tls(edge_gateway, f"loris{i % SLOW_LORIS_VENS}") for i in range(SLOW_LORIS_VENS * PER_CLIENT)
    ]
    head = b"POST " + PREFIX.encode() + b"/OadrPoll HTTP/1.1\r\nhost: vtn\r\nx-padding: " + b"a" * 300 + b"\r\n\r\n"
    senders = [asyncio.create_task(trickle(writer, head, 0.1)) for _, writer in connections]  # 30 s each
    closed = await asyncio.gather(*(seconds_until_closed(reader) for reader, _ in connections))
    for sender in senders:
        sender.cancel()
    assert len(connections) == 100
    assert max(closed) < HEADER_TIMEOUT + SLACK, "a slow-loris client held its connection"


async def keep_querying(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """oadrQueryRegistration on one kept-alive connection, again and again, until cancelled."""
    body = create_message("oadrQueryRegistration", request_id="q").encode()
    head = f"POST {PREFIX}/EiRegisterParty HTTP/1.1\r\nhost: vtn\r\ncontent-length: {len(body)}\r\n\r\n"
    request = head.encode() + body
    while True:
        writer.write(request)
        head = await reader.readuntil(b"\r\n\r\n")
        length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
        await reader.readexactly(length)
        await asyncio.sleep(0.2)


async def test_a_client_over_its_cap_is_refused_while_another_ven_registers_and_polls(
    edge_gateway: EdgeGateway, unique: Callable[[str], str]
) -> None:
    held = [await open_tls(edge_gateway, "ven1") for _ in range(PER_CLIENT)]
    # ven1 uses the connections within its cap as a busy VEN would: they stay within every timeout
    keep_busy = [asyncio.create_task(keep_querying(*connection)) for connection in held]
    refused = [await open_tls(edge_gateway, "ven1") for _ in range(10)]
    async with httpx.AsyncClient(
        base_url=f"https://localhost:{edge_gateway.port}{PREFIX}", verify=edge_gateway.tls("ven2"), timeout=15
    ) as ven2:
        registration = create_message(
            "oadrCreatePartyRegistration",
            request_id="r1",
            ven_name=unique("edge-ven"),
            http_pull_model=True,
            xml_signature=False,
            report_only=False,
            profile_name="2.0b",
            transport_name="simpleHttp",
            transport_address=None,
        )
        answer = await ven2.post("/EiRegisterParty", content=registration.encode())
        ven_id = etree.fromstring(answer.content).findtext(".//{*}venID")
        assert answer.status_code == 200 and ven_id
        for _ in range(5):
            polled = await ven2.post("/OadrPoll", content=create_message("oadrPoll", ven_id=ven_id).encode())
            assert polled.status_code == 200
            assert etree.fromstring(polled.content).tag.endswith("oadrPayload")
    for reader, _ in refused:
        assert await seconds_until_closed(reader) < SLACK
    assert not any(task.done() for task in keep_busy), "the connections within the cap were served throughout"
    for task in keep_busy:
        task.cancel()
    metrics = await edge_gateway.metrics()
    assert counter(metrics, "vtn_gateway_connections_refused_total", 'reason="client_cap"') >= 10


@dataclass
class IngressGateway:
    url: str
    log_path: Path
    pki_dir: Path
    root: Authority
    other_root: Authority


@pytest.fixture(scope="module")
def ingress_gateway(
    vtn: RunningVtn, vtn_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[IngressGateway]:
    pki_dir = tmp_path_factory.mktemp("ingress-pki")
    root, other_root = authority("ingress VEN CA"), authority("another CA")
    env = {
        **vtn_env,
        "VTN_HTTP_PORT": str(INGRESS_PORT),
        "VTN_ADMIN_PORT": str(INGRESS_ADMIN_PORT),
        "VTN_INSTANCE_ID": "ingress-gateway",
        "VTN_TRUSTED_PROXIES": "127.0.0.1/32",
        "VTN_HTTP_CA_FILE": str(write_ca_file(pki_dir / "ca.crt", root)),
    }
    log_path = tmp_path_factory.mktemp("ingress-logs") / "ingress-gateway.log"
    process = _start("ingress-gateway", env, log_path, INGRESS_PORT)
    try:
        yield IngressGateway(f"http://127.0.0.1:{INGRESS_PORT}{PREFIX}", log_path, pki_dir, root, other_root)
    finally:
        process.stop(timeout=20)


def forwarding(certificate: Client) -> dict[str, str]:
    """The header an ingress sets for a VEN that presented `certificate`."""
    return {"ssl-client-cert": certificate.header().decode()}


def code_and_text(body: bytes) -> tuple[str, str]:
    root = etree.fromstring(body)
    return root.findtext(".//{*}responseCode") or "", root.findtext(".//{*}responseDescription") or ""


async def test_ingress_mode_serves_only_forwarded_certificates_the_handshake_would_accept(
    ingress_gateway: IngressGateway, unique: Callable[[str], str]
) -> None:
    pki = ingress_gateway.pki_dir
    now = dt.datetime.now(dt.UTC)
    good = client(pki, "good", ingress_gateway.root)
    refused = {
        "forwarded_certificate_untrusted": client(pki, "stranger", ingress_gateway.other_root),
        "forwarded_certificate_expired": client(
            pki, "expired", ingress_gateway.root, not_after=now - dt.timedelta(hours=1)
        ),
    }
    poll = create_message("oadrPoll", ven_id="someone").encode()
    async with httpx.AsyncClient(base_url=ingress_gateway.url, timeout=15) as proxy:
        for reason, certificate in refused.items():
            answer = await proxy.post("/OadrPoll", content=poll, headers=forwarding(certificate))
            assert answer.status_code == 403, reason
            assert code_and_text(answer.content)[0] == "463"
        registration = create_message(
            "oadrCreatePartyRegistration",
            request_id="r1",
            ven_name=unique("ingress-ven"),
            http_pull_model=True,
            xml_signature=False,
            report_only=False,
            profile_name="2.0b",
            transport_name="simpleHttp",
            transport_address=None,
        )
        answer = await proxy.post("/EiRegisterParty", content=registration.encode(), headers=forwarding(good))
        assert code_and_text(answer.content)[0] == "200"
        ven_id = etree.fromstring(answer.content).findtext(".//{*}venID")
        # the stranger cannot speak for that VEN; its owner can
        answer = await proxy.post(
            "/OadrPoll",
            content=create_message("oadrPoll", ven_id=ven_id).encode(),
            headers=forwarding(refused["forwarded_certificate_untrusted"]),
        )
        assert code_and_text(answer.content)[0] == "463"
        answer = await proxy.post(
            "/OadrPoll",
            content=create_message("oadrPoll", ven_id=ven_id).encode(),
            headers=forwarding(good),
        )
        assert answer.status_code == 200 and etree.fromstring(answer.content).tag.endswith("oadrPayload")
        metrics = (await proxy.get(f"http://127.0.0.1:{INGRESS_ADMIN_PORT}/metrics")).text
    for reason in refused:
        assert counter(metrics, "vtn_gateway_security_refusals_total", f'reason="{reason}"') >= 1


async def test_a_flood_of_refusals_writes_a_few_log_lines(ingress_gateway: IngressGateway) -> None:
    stranger = client(ingress_gateway.pki_dir, "flooder", ingress_gateway.other_root)
    poll = create_message("oadrPoll", ven_id="someone").encode()
    async with httpx.AsyncClient(base_url=ingress_gateway.url, timeout=15) as proxy:
        before = counter(
            (await proxy.get(f"http://127.0.0.1:{INGRESS_ADMIN_PORT}/metrics")).text,
            "vtn_gateway_security_refusals_total",
            'reason="forwarded_certificate_untrusted"',
        )
        for _ in range(1000):
            answer = await proxy.post("/OadrPoll", content=poll, headers=forwarding(stranger))
            assert answer.status_code == 403
        after = counter(
            (await proxy.get(f"http://127.0.0.1:{INGRESS_ADMIN_PORT}/metrics")).text,
            "vtn_gateway_security_refusals_total",
            'reason="forwarded_certificate_untrusted"',
        )
    assert after - before == 1000
    lines = [
        r
        for r in json_records(ingress_gateway.log_path)
        if r.get("action") == "security_refused" and r.get("reason") == "forwarded_certificate_untrusted"
    ]
    assert len(lines) <= 5 + 1  # the first lines of this period (and the summary of an earlier one at most)


def json_records(log_path: Path) -> list[dict[str, object]]:
    records = []
    for line in log_path.read_text().splitlines():
        with contextlib.suppress(json.JSONDecodeError):
            records.append(json.loads(line))
    return records
