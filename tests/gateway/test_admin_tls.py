"""HTTPS on the admin port: with VTN_ADMIN_CERT and VTN_ADMIN_KEY the admin server speaks TLS only, the apps
behind it see the https scheme (the console's session cookie is then Secure), and a half-configured pair is
refused at start."""

from __future__ import annotations

import asyncio
import json
import socket
import ssl
from collections.abc import AsyncIterator, MutableMapping
from typing import Any

import pytest

from devstack.certs import Issued
from gateway.server import _http_server
from shared.settings import VtnSettings


async def echo_scheme(scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
    body = json.dumps({"scheme": scope["scheme"]}).encode()
    await send(
        {"type": "http.response.start", "status": 200, "headers": [(b"content-length", str(len(body)).encode())]}
    )
    await send({"type": "http.response.body", "body": body})


@pytest.fixture
async def admin_port(dev_certs: dict[str, Issued]) -> AsyncIterator[int]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    tls_files = (dev_certs["vtn-rsa"].cert_path, dev_certs["vtn-rsa"].key_path)
    server = _http_server(echo_scheme, "127.0.0.1", port, 5, tls_files=tls_files)
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    yield port
    server.should_exit = True
    await task


async def _get(port: int, context: ssl.SSLContext | None) -> bytes:
    reader, writer = await asyncio.open_connection(
        "127.0.0.1", port, ssl=context, server_hostname="localhost" if context else None
    )
    writer.write(b"GET / HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\n\r\n")
    answer = await asyncio.wait_for(reader.read(), 5)
    writer.close()
    return answer


async def test_an_operator_reaches_the_admin_port_over_https_without_a_client_certificate(
    admin_port: int, dev_certs: dict[str, Issued]
) -> None:
    operator = ssl.create_default_context(cafile=dev_certs["ca"].cert_path)
    answer = await _get(admin_port, operator)
    assert answer.startswith(b"HTTP/1.1 200")
    assert json.loads(answer.split(b"\r\n\r\n", 1)[1]) == {"scheme": "https"}


async def test_plain_http_gets_no_answer_from_an_https_admin_port(admin_port: int) -> None:
    answer = await _get(admin_port, None)
    assert not answer.startswith(b"HTTP/1.1 200")
    assert b'"scheme"' not in answer


@pytest.mark.parametrize("given", ["VTN_ADMIN_CERT", "VTN_ADMIN_KEY"])
def test_a_certificate_without_its_key_or_the_reverse_is_refused(
    given: str, dev_certs: dict[str, Issued], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(given, str(dev_certs["vtn-rsa"].cert_path))
    with pytest.raises(ValueError, match="VTN_ADMIN_CERT and VTN_ADMIN_KEY"):
        VtnSettings()


def test_both_files_turn_https_on(dev_certs: dict[str, Issued], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VTN_ADMIN_CERT", str(dev_certs["vtn-rsa"].cert_path))
    monkeypatch.setenv("VTN_ADMIN_KEY", str(dev_certs["vtn-rsa"].key_path))
    assert VtnSettings().admin_tls_files == (dev_certs["vtn-rsa"].cert_path, dev_certs["vtn-rsa"].key_path)
