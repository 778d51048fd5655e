"""Connections to VENs: one POST and its answer within a size cap and a time limit, keep-alive reuse, SSRF
checks on every address a name resolves to (before any connection), and over TLS the VEN's certificate
chained to the CA and bound to the venID pushed to."""

from __future__ import annotations

import asyncio
import ipaddress
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import pytest

from devstack.certs import Issued
from gateway.push.connections import ConnectionPools
from gateway.push.deliverer import DeliveryFailed
from gateway.security.tls import ServerCertificate, client_context
from shared.push_addresses import IpAddress, PushAddressPolicy, parse_allowlist, parse_push_address

Reply = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[bool]]  # False: close the connection


@dataclass
class Ven:
    port: int
    connections: int = 0
    requests: list[bytes] = field(default_factory=list)


async def read_request(reader: asyncio.StreamReader) -> bytes:
    head = await reader.readuntil(b"\r\n\r\n")
    length = int(
        next(line.split(b":")[1] for line in head.split(b"\r\n") if line.lower().startswith(b"content-length"))
    )
    return head + await reader.readexactly(length)


def answering(*bodies: bytes, close_after: int = 0) -> Reply:
    """Answers 200 with each body in turn; `close_after`: close the connection (idle) after that many answers."""
    answered = 0

    async def reply(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        nonlocal answered
        body = bodies[min(answered, len(bodies) - 1)]
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
        await writer.drain()
        answered += 1
        return not close_after or answered % close_after != 0

    return reply


async def serve(reply: Reply, tls: ssl.SSLContext | None = None) -> tuple[Ven, asyncio.Server]:
    ven = Ven(port=0)

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        ven.connections += 1
        try:
            while True:
                ven.requests.append(await read_request(reader))
                if not await reply(reader, writer):
                    break
        except (asyncio.IncompleteReadError, ConnectionError, ssl.SSLError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=tls)
    ven.port = server.sockets[0].getsockname()[1]
    return ven, server


def pools(
    tls: ssl.SSLContext | None = None, resolved: list[str] | None = None, allowed: str = "127.0.0.0/8"
) -> ConnectionPools:
    async def resolve(host: str, port: int) -> list[IpAddress]:
        assert resolved is not None, "a literal address is not resolved"
        return [ipaddress.ip_address(a) for a in resolved]

    policy = PushAddressPolicy(parse_allowlist(allowed), require_tls=False, own_ports=frozenset({8080}))
    return ConnectionPools(policy, tls, per_host=4, idle_seconds=30.0, resolve=resolve)


async def post(
    pool: ConnectionPools, url: str, fingerprint: str | None = None, max_bytes: int = 10_000, timeout: float = 2.0
) -> bytes:
    address = parse_push_address(url)
    response = await pool.post(address, address.service_path("EiEvent"), b"<x/>", fingerprint, max_bytes, timeout)
    assert response.status == 200
    return response.body


@pytest.fixture
async def ven_ok() -> AsyncIterator[Ven]:
    ven, server = await serve(answering(b"one", b"two", b"three"))
    yield ven
    server.close()


async def test_a_push_is_a_post_to_the_services_endpoint_and_connections_are_kept_alive(ven_ok: Ven) -> None:
    pool = pools()
    assert await post(pool, f"http://127.0.0.1:{ven_ok.port}/ven/7") == b"one"
    assert await post(pool, f"http://127.0.0.1:{ven_ok.port}/ven/7") == b"two"
    assert (ven_ok.connections, pool.opened) == (1, 1)
    first = ven_ok.requests[0].decode()
    assert first.startswith("POST /ven/7/OpenADR2/Simple/2.0b/EiEvent HTTP/1.1\r\n")
    assert f"Host: 127.0.0.1:{ven_ok.port}\r\n" in first and "Content-Type: application/xml\r\n" in first
    await pool.close()


async def test_a_connection_the_ven_closed_while_idle_is_replaced_and_the_push_sent_once() -> None:
    ven, server = await serve(answering(b"a", b"b", close_after=1))
    pool = pools()
    assert await post(pool, f"http://127.0.0.1:{ven.port}") == b"a"
    await asyncio.sleep(0.05)
    assert await post(pool, f"http://127.0.0.1:{ven.port}") == b"b"
    assert (ven.connections, len(ven.requests)) == (2, 2)
    server.close()


@pytest.mark.parametrize(
    "answer",
    [
        b"HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n" + b"x" * 5000,
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        + b"800\r\n"
        + b"x" * 2048
        + b"\r\n"
        + b"800\r\n"
        + b"x" * 2048
        + b"\r\n0\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" + b"x" * 5000,
    ],
)
async def test_an_answer_above_the_cap_is_refused(answer: bytes) -> None:
    async def reply(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        writer.write(answer)
        await writer.drain()
        return False

    ven, server = await serve(reply)
    with pytest.raises(DeliveryFailed) as failure:
        await post(pools(), f"http://127.0.0.1:{ven.port}", max_bytes=4000)
    assert failure.value.kind == "too_large"
    server.close()


async def test_a_ven_that_never_answers_is_a_timeout_and_one_that_is_not_there_a_connect_failure() -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        await asyncio.sleep(30)
        return False

    ven, server = await serve(silent)
    with pytest.raises(DeliveryFailed) as failure:
        await post(pools(), f"http://127.0.0.1:{ven.port}", timeout=0.3)
    assert failure.value.kind == "timeout"
    server.close()
    await server.wait_closed()
    with pytest.raises(DeliveryFailed) as failure:
        await post(pools(), f"http://127.0.0.1:{ven.port}")
    assert failure.value.kind == "connect"


async def test_a_name_is_refused_before_connecting_if_any_address_it_resolves_to_is_refused(ven_ok: Ven) -> None:
    """DNS rebinding: a name resolving to an allowed and a private address is not picked around."""
    for resolved in (["10.0.0.5"], ["127.0.0.1", "10.0.0.5"], ["169.254.169.254"]):
        with pytest.raises(DeliveryFailed) as failure:
            await post(pools(resolved=resolved), f"http://ven.example.com:{ven_ok.port}")
        assert failure.value.kind == "address_refused"
    assert ven_ok.connections == 0
    assert await post(pools(resolved=["127.0.0.1"]), f"http://ven.example.com:{ven_ok.port}") == b"one"


async def test_the_vtns_own_port_is_refused_on_loopback() -> None:
    with pytest.raises(DeliveryFailed) as failure:
        await post(pools(), "http://127.0.0.1:8080/")
    assert failure.value.kind == "address_refused"


# --- TLS ----------------------------------------------------------------------------------------------------
def ven_server_tls(certs: dict[str, Issued], ven: str, client_ca: str = "ca") -> ssl.SSLContext:
    """A VEN's HTTPS endpoint with its own certificate, requiring the VTN's client certificate."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certs[ven].cert_path, certs[ven].key_path)
    context.load_verify_locations(cafile=certs[client_ca].cert_path)
    context.verify_mode = ssl.CERT_REQUIRED
    return context


def vtn_client_tls(certs: dict[str, Issued]) -> ssl.SSLContext:
    return client_context(
        ServerCertificate(certs["vtn-rsa"].cert_path, certs["vtn-rsa"].key_path), certs["ca"].cert_path
    )


async def test_over_tls_the_ven_must_present_the_certificate_bound_to_its_ven_id(dev_certs: dict[str, Issued]) -> None:
    ven, server = await serve(answering(b"ok"), ven_server_tls(dev_certs, "ven1"))
    pool = pools(vtn_client_tls(dev_certs))
    url = f"https://127.0.0.1:{ven.port}"
    assert await post(pool, url, fingerprint=dev_certs["ven1"].fingerprint) == b"ok"
    for bound in (dev_certs["ven2"].fingerprint, None):  # an impostor, or a venID bound to no certificate
        with pytest.raises(DeliveryFailed) as failure:
            await post(pool, url, fingerprint=bound)
        assert failure.value.kind == "tls"
    assert len(ven.requests) == 1  # nothing was sent to the impostor
    server.close()


async def test_over_tls_a_ven_certificate_from_another_ca_fails_the_handshake(dev_certs: dict[str, Issued]) -> None:
    ven, server = await serve(answering(b"ok"), ven_server_tls(dev_certs, "stranger"))
    with pytest.raises(DeliveryFailed) as failure:
        await post(
            pools(vtn_client_tls(dev_certs)),
            f"https://127.0.0.1:{ven.port}",
            fingerprint=dev_certs["stranger"].fingerprint,
        )
    assert failure.value.kind in ("tls", "connect")
    assert ven.requests == []
    server.close()


async def test_without_a_client_certificate_and_ca_an_https_address_is_a_tls_failure(ven_ok: Ven) -> None:
    with pytest.raises(DeliveryFailed) as failure:
        await post(pools(None), f"https://127.0.0.1:{ven_ok.port}")
    assert failure.value.kind == "tls"
