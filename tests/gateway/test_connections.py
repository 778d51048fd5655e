"""The VEN door's connections over real sockets: every phase is timed out (TLS handshake, request head, request
body, idle keep-alive), connections are capped per certificate, per address and in all, and the VEN within
its cap keeps being served while another is refused."""

from __future__ import annotations

import asyncio
import logging
import socket
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest
from prometheus_client import CollectorRegistry, generate_latest

from devstack.certs import Issued
from gateway.connection_ledger import ConnectionLedger, ConnectionLimits
from gateway.connections import ConnectionTimeouts, DoorGuard
from gateway.metrics import ConnectionCollector
from gateway.refusals import REFUSAL_LOGGER, refusal_log
from gateway.security.identity import request_context
from gateway.security.tls import ServerCertificate, server_context
from gateway.server import _http_server
from shared.throttled_log import DEFAULT_BURST
from tests.slow_clients import seconds_until_closed, trickle

SHORT = ConnectionTimeouts(tls_handshake=0.5, request_headers=0.5, request_body=0.8)
PATIENT = ConnectionTimeouts(tls_handshake=5, request_headers=30, request_body=30)  # for connections held meanwhile
KEEPALIVE_SECONDS = 1
# How much later than its timeout a connection may close on a busy test machine (never-closed ones take 30 s)
SLACK = 2.0


async def answer_with_fingerprint(scope: dict[str, Any], receive: Any, send: Any) -> None:
    more = True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            return
        more = message.get("more_body", False)
    body = (request_context(scope).fingerprint or "none").encode()
    headers = [(b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


@dataclass
class Door:
    port: int
    ledger: ConnectionLedger
    certs: dict[str, Issued]

    def tls(self, ven: str) -> ssl.SSLContext:
        context = ssl.create_default_context(cafile=str(self.certs["ca"].cert_path))
        context.load_cert_chain(self.certs[ven].cert_path, self.certs[ven].key_path)
        return context

    async def open(self, ven: str | None) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if ven is None:
            return await asyncio.open_connection("127.0.0.1", self.port)
        return await asyncio.open_connection("127.0.0.1", self.port, ssl=self.tls(ven), server_hostname="localhost")

    def metrics(self) -> str:
        registry = CollectorRegistry()
        registry.register(ConnectionCollector(self.ledger))
        return generate_latest(registry).decode()


DoorFactory = Callable[..., Awaitable[Door]]


@pytest.fixture
async def door(dev_certs: dict[str, Issued]) -> AsyncIterator[DoorFactory]:
    servers: list[tuple[Any, asyncio.Task[None]]] = []

    async def start(
        timeouts: ConnectionTimeouts = SHORT, tls: bool = True, app: Any = answer_with_fingerprint, **caps: int
    ) -> Door:
        limits = {"max_connections": 100, "max_per_client": 3, "max_per_address": 20, **caps}
        ledger = ConnectionLedger(ConnectionLimits(**limits))
        context = None
        if tls:
            context = server_context(
                [ServerCertificate(dev_certs["vtn-ecc"].cert_path, dev_certs["vtn-ecc"].key_path)],
                dev_certs["ca"].cert_path,
            )
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = int(probe.getsockname()[1])
        guard = DoorGuard(ledger, timeouts, context, refusal_log())
        server = _http_server(app, "127.0.0.1", port, KEEPALIVE_SECONDS, guard)
        task = asyncio.create_task(server.serve())
        while not server.started:
            await asyncio.sleep(0.01)
        servers.append((server, task))
        return Door(port, ledger, dev_certs)

    yield start
    for server, task in servers:
        server.should_exit = True
        await task


Connection = tuple[asyncio.StreamReader, asyncio.StreamWriter]


async def poll(door: Door, ven: str, connection: Connection | None = None) -> bytes:
    """Status and body of a poll, on `connection` or a new one of `ven`."""
    reader, writer = connection or await door.open(ven)
    writer.write(b"POST /OadrPoll HTTP/1.1\r\nhost: vtn\r\ncontent-length: 2\r\n\r\nhi")
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
    return head.split(b" ")[1] + b" " + await reader.readexactly(length)


async def test_a_connection_that_never_starts_its_tls_handshake_is_closed(door: DoorFactory) -> None:
    served = await door()
    connections = [await served.open(None) for _ in range(20)]
    closed_after = await asyncio.gather(*(seconds_until_closed(reader) for reader, _ in connections))
    assert max(closed_after) < SHORT.tls_handshake + SLACK
    assert 'vtn_gateway_connections_timed_out_total{phase="tls_handshake"} 20.0' in served.metrics()
    assert served.ledger.open == 0


async def test_a_tls_connection_that_sends_no_request_is_closed(door: DoorFactory) -> None:
    served = await door()
    connections = [await served.open("ven1") for _ in range(3)]
    closed_after = await asyncio.gather(*(seconds_until_closed(reader) for reader, _ in connections))
    assert max(closed_after) < SHORT.request_headers + SLACK
    assert 'vtn_gateway_connections_timed_out_total{phase="request_headers"} 3.0' in served.metrics()


async def test_a_slow_loris_request_head_is_cut_off_at_the_header_timeout(door: DoorFactory) -> None:
    served = await door()
    reader, writer = await served.open("ven1")
    head = b"POST /OadrPoll HTTP/1.1\r\nhost: vtn\r\nx-padding: " + b"a" * 200 + b"\r\n\r\n"
    sending = asyncio.create_task(trickle(writer, head, 0.05))  # 10 s in all, a byte every 50 ms
    assert await seconds_until_closed(reader) < SHORT.request_headers + SLACK
    sending.cancel()
    assert 'vtn_gateway_connections_timed_out_total{phase="request_headers"} 1.0' in served.metrics()


async def test_a_later_request_head_on_a_kept_alive_connection_is_timed_out_too(door: DoorFactory) -> None:
    served = await door()
    connection = await served.open("ven1")
    assert (await poll(served, "ven1", connection)).startswith(b"200")
    sending = asyncio.create_task(trickle(connection[1], b"\r\n" * 200, 0.05))  # blank lines: no request begins
    assert await seconds_until_closed(connection[0]) < SHORT.request_headers + SLACK
    sending.cancel()


async def test_a_body_that_trickles_in_is_cut_off_at_the_body_timeout(door: DoorFactory) -> None:
    served = await door()
    reader, writer = await served.open("ven1")
    writer.write(b"POST /OadrPoll HTTP/1.1\r\nhost: vtn\r\ncontent-length: 1000\r\n\r\n")
    sending = asyncio.create_task(trickle(writer, b"x" * 1000, 0.05))
    assert await seconds_until_closed(reader) < SHORT.request_body + SLACK
    sending.cancel()
    assert 'vtn_gateway_connections_timed_out_total{phase="request_body"} 1.0' in served.metrics()


async def test_an_idle_kept_alive_connection_is_closed_after_the_keepalive_time(door: DoorFactory) -> None:
    served = await door()
    connection = await served.open("ven1")
    assert (await poll(served, "ven1", connection)).startswith(b"200")
    assert await seconds_until_closed(connection[0]) < KEEPALIVE_SECONDS + SLACK
    assert 'vtn_gateway_connections_timed_out_total{phase="keepalive_idle"} 1.0' in served.metrics()


async def test_a_vens_polls_on_one_connection_are_served_as_long_as_they_keep_coming(door: DoorFactory) -> None:
    served = await door()
    connection = await served.open("ven1")
    for _ in range(10):  # 2 s on one connection: longer than every timeout, each poll within them
        assert (await poll(served, "ven1", connection)) == b"200 " + served.certs["ven1"].fingerprint.encode()
        await asyncio.sleep(0.2)


async def test_a_request_in_pieces_within_the_timeouts_is_served(door: DoorFactory) -> None:
    served = await door(ConnectionTimeouts(tls_handshake=5, request_headers=3, request_body=3))
    reader, writer = await served.open("ven1")
    for piece in (b"POST /OadrPoll HTTP/1.1\r\nhost: vtn\r\n", b"content-length: 4\r\n\r\n", b"hi", b"!!"):
        writer.write(piece)
        await writer.drain()
        await asyncio.sleep(0.15)
    head = await reader.readuntil(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200")
    assert served.ledger.timed_out == {}


async def test_a_client_over_its_cap_is_refused_while_another_ven_is_served(door: DoorFactory) -> None:
    served = await door(PATIENT, max_per_client=3)
    held = [await served.open("ven1") for _ in range(3)]
    extra = [await served.open("ven1") for _ in range(5)]
    for reader, _ in extra:  # closed right after the handshake
        assert await seconds_until_closed(reader) < SLACK
    for _ in range(5):
        assert (await poll(served, "ven2")) == b"200 " + served.certs["ven2"].fingerprint.encode()
    assert 'vtn_gateway_connections_refused_total{reason="client_cap"} 5.0' in served.metrics()
    for _, writer in held:  # a seat is freed when its connection closes
        writer.close()
    await asyncio.sleep(0.2)
    assert (await poll(served, "ven1")).startswith(b"200")


async def test_an_address_is_capped_until_a_certificate_identifies_its_connections(door: DoorFactory) -> None:
    served = await door(PATIENT, max_per_address=4)
    stalled = [await served.open(None) for _ in range(4)]  # TCP only: still counted against 127.0.0.1
    reader, _ = await served.open(None)
    assert await seconds_until_closed(reader) < SLACK
    assert 'vtn_gateway_connections_refused_total{reason="address_cap"} 1.0' in served.metrics()
    for _, writer in stalled:
        writer.close()
    await asyncio.sleep(0.2)
    # identified connections count against their certificate, not the address: more than 4 from one address
    identified = [await served.open(f"ven{1 + i % 2}") for i in range(6)]
    for connection in identified:
        assert (await poll(served, "ven1", connection)).startswith(b"200")


async def test_the_global_cap_refuses_new_connections_and_keeps_serving_open_ones(door: DoorFactory) -> None:
    served = await door(PATIENT, tls=False, max_connections=5, max_per_address=100)
    kept = [await served.open(None) for _ in range(5)]
    reader, _ = await served.open(None)
    assert await seconds_until_closed(reader) < SLACK
    assert (await poll(served, "ven1", kept[0])) == b"200 none"
    assert 'vtn_gateway_connections_refused_total{reason="global_cap"} 1.0' in served.metrics()
    assert "vtn_gateway_connections_open 5.0" in served.metrics()


async def test_a_failed_handshake_is_counted_and_frees_its_seat(door: DoorFactory) -> None:
    served = await door()
    with pytest.raises((ssl.SSLError, ConnectionError, asyncio.IncompleteReadError)):
        await poll(served, "stranger")
    await asyncio.sleep(0.2)
    assert 'vtn_gateway_connections_refused_total{reason="tls_handshake_failed"} 1.0' in served.metrics()
    assert served.ledger.open == 0


async def test_a_flood_of_refused_connections_writes_a_few_log_lines(
    door: DoorFactory, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=REFUSAL_LOGGER)
    served = await door(PATIENT, tls=False, max_connections=2, max_per_address=100)
    kept = [await served.open(None) for _ in range(2)]
    for _ in range(100):
        reader, _ = await served.open(None)
        await seconds_until_closed(reader)
    refused = [r for r in caplog.records if getattr(r, "reason", None) == "global_cap"]
    assert served.ledger.refused == {"global_cap": 100}
    assert len(refused) == DEFAULT_BURST
    for _, writer in kept:
        writer.close()


async def answer_with_client_address(scope: dict[str, Any], receive: Any, send: Any) -> None:
    await receive()
    body = str(scope["client"][0]).encode()
    await send(
        {"type": "http.response.start", "status": 200, "headers": [(b"content-length", str(len(body)).encode())]}
    )
    await send({"type": "http.response.body", "body": body})


async def test_the_client_address_is_the_tcp_peers_whatever_x_forwarded_for_says(door: DoorFactory) -> None:
    served = await door(PATIENT, tls=False, app=answer_with_client_address)
    reader, writer = await served.open(None)
    writer.write(b"GET / HTTP/1.1\r\nhost: vtn\r\nx-forwarded-for: 10.1.2.3\r\n\r\n")
    head = await reader.readuntil(b"\r\n\r\n")
    assert await reader.readexactly(int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])) == b"127.0.0.1"
