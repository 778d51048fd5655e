"""HTTPS on the VEN door: the OpenADR TLS 1.2 suites, RSA and ECC certificates side by side, client
certificates required and chained to the configured CA, and the client certificate handed to the app."""

from __future__ import annotations

import asyncio
import json
import socket
import ssl
from collections.abc import AsyncIterator, MutableMapping
from typing import Any

import pytest

from devstack.certs import Issued
from gateway.connection_ledger import ConnectionLedger, ConnectionLimits
from gateway.connections import ConnectionTimeouts, DoorGuard
from gateway.refusals import refusal_log
from gateway.security.identity import request_context
from gateway.security.tls import ServerCertificate, server_context
from gateway.server import _http_server


def vtn_context(certs: dict[str, Issued], profile_a_suites: bool = False) -> ssl.SSLContext:
    return server_context(
        [
            ServerCertificate(certs["vtn-rsa"].cert_path, certs["vtn-rsa"].key_path),
            ServerCertificate(certs["vtn-ecc"].cert_path, certs["vtn-ecc"].key_path),
        ],
        certs["ca"].cert_path,
        profile_a_suites,
    )


def ven_context(certs: dict[str, Issued], ven: str | None = "ven1", **limits: Any) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.load_verify_locations(certs["ca"].cert_path)
    if ven is not None:
        context.load_cert_chain(certs[ven].cert_path, certs[ven].key_path)
    for name, value in limits.items():
        setattr(context, name, value) if name != "ciphers" else context.set_ciphers(value)
    return context


async def echo_identity(scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
    context = request_context(scope)
    tls = scope["extensions"]["tls"]
    body = json.dumps(
        {"fingerprint": context.fingerprint, "tls_version": tls["tls_version"], "cipher_suite": tls["cipher_suite"]}
    ).encode()
    await send(
        {"type": "http.response.start", "status": 200, "headers": [(b"content-length", str(len(body)).encode())]}
    )
    await send({"type": "http.response.body", "body": body})


@pytest.fixture
async def https_port(dev_certs: dict[str, Issued]) -> AsyncIterator[int]:
    async for port in serving(vtn_context(dev_certs)):
        yield port


@pytest.fixture
async def https_port_with_2_0a_suites(dev_certs: dict[str, Issued]) -> AsyncIterator[int]:
    async for port in serving(vtn_context(dev_certs, profile_a_suites=True)):
        yield port


async def serving(context: ssl.SSLContext) -> AsyncIterator[int]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    guard = DoorGuard(
        ConnectionLedger(ConnectionLimits(max_connections=100, max_per_client=10, max_per_address=10)),
        ConnectionTimeouts(tls_handshake=5, request_headers=5, request_body=5),
        context,
        refusal_log(),
    )
    server = _http_server(echo_identity, "127.0.0.1", port, 5, guard)
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    yield port
    server.should_exit = True
    await task


async def get(port: int, context: ssl.SSLContext) -> tuple[dict[str, Any], ssl.SSLObject]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port, ssl=context, server_hostname="localhost")
    writer.write(b"GET / HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\n\r\n")
    answer = await reader.read()
    ssl_object = writer.get_extra_info("ssl_object")
    writer.close()
    return json.loads(answer.split(b"\r\n\r\n", 1)[1]), ssl_object


async def test_the_app_sees_the_client_certificate_fingerprint(https_port: int, dev_certs: dict[str, Issued]) -> None:
    seen, _ = await get(https_port, ven_context(dev_certs, "ven1"))
    assert seen["fingerprint"] == dev_certs["ven1"].fingerprint
    assert seen["tls_version"] == 0x0304


@pytest.mark.parametrize(
    ("cipher", "suite_id", "server_key"),
    [("AES128-SHA256", 0x003C, "RSA"), ("ECDHE-ECDSA-AES128-SHA256", 0xC023, "EC")],
)
async def test_tls12_offers_both_openadr_suites_with_the_matching_certificate(
    https_port: int, dev_certs: dict[str, Issued], cipher: str, suite_id: int, server_key: str
) -> None:
    context = ven_context(dev_certs, maximum_version=ssl.TLSVersion.TLSv1_2, ciphers=cipher)
    seen, ssl_object = await get(https_port, context)
    assert (seen["tls_version"], seen["cipher_suite"]) == (0x0303, suite_id)
    assert ssl_object.cipher()[0] == cipher
    der = ssl_object.getpeercert(binary_form=True)
    from cryptography import x509

    key_type = type(x509.load_der_x509_certificate(der).public_key()).__name__
    assert key_type.startswith(server_key)


@pytest.mark.parametrize("cipher", ["ECDHE-RSA-AES128-GCM-SHA256", "AES128-SHA", "ECDHE-ECDSA-AES128-SHA"])
async def test_other_tls12_suites_are_not_offered(https_port: int, dev_certs: dict[str, Issued], cipher: str) -> None:
    """Nor the 2.0a profile's, unless VTN_HTTP_TLS_2_0A_SUITES turns them on."""
    context = ven_context(dev_certs, maximum_version=ssl.TLSVersion.TLSv1_2, ciphers=cipher)
    with pytest.raises((ssl.SSLError, ConnectionError)):
        await get(https_port, context)


@pytest.mark.parametrize(("cipher", "suite_id"), [("AES128-SHA", 0x002F), ("ECDHE-ECDSA-AES128-SHA", 0xC009)])
async def test_a_2_0a_ven_offering_only_its_profile_s_suites_connects_when_they_are_on(
    https_port_with_2_0a_suites: int, dev_certs: dict[str, Issued], cipher: str, suite_id: int
) -> None:
    context = ven_context(dev_certs, maximum_version=ssl.TLSVersion.TLSv1_2, ciphers=cipher)
    seen, _ = await get(https_port_with_2_0a_suites, context)
    assert (seen["tls_version"], seen["cipher_suite"], seen["fingerprint"]) == (
        0x0303,
        suite_id,
        dev_certs["ven1"].fingerprint,
    )


async def test_with_the_2_0a_suites_on_a_2_0b_ven_still_gets_a_sha256_suite(
    https_port_with_2_0a_suites: int, dev_certs: dict[str, Issued]
) -> None:
    context = ven_context(dev_certs, maximum_version=ssl.TLSVersion.TLSv1_2, ciphers="AES128-SHA256:AES128-SHA")
    seen, _ = await get(https_port_with_2_0a_suites, context)
    assert seen["cipher_suite"] == 0x003C


@pytest.mark.parametrize("ven", [None, "stranger"], ids=["no client certificate", "certificate from another CA"])
async def test_a_client_without_a_certificate_of_our_ca_cannot_connect(
    https_port: int, dev_certs: dict[str, Issued], ven: str | None
) -> None:
    with pytest.raises((ssl.SSLError, ConnectionError, json.JSONDecodeError, IndexError)):
        await get(https_port, ven_context(dev_certs, ven))


def test_tls_below_1_2_is_refused(dev_certs: dict[str, Issued]) -> None:
    assert vtn_context(dev_certs).minimum_version == ssl.TLSVersion.TLSv1_2
