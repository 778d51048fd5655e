"""A second gateway serving HTTPS with client certificates and required XML signatures (and the 2.0a profile's
TLS suites), beside the plain development one, sharing Kafka, the services and PostgreSQL (one per test
session, started when first asked for); and VENs that use it, each with its own certificate, signing every
message as OpenLEADR's VEN does."""

from __future__ import annotations

import ssl
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from lxml import etree
from openleadr.messaging import parse_message

from devstack.certs import Issued, PrivateKey, generate, issue, settings_for
from devstack.processes import ManagedProcess
from tests.integration.raw_ven import new_request_id
from tests.security_documents import openleadr_signed
from tests.stack import ADMIN_PORT, HTTP_PORT, REPO_ROOT, RunningVtn

SECURE_PORT = HTTP_PORT + 20
SECURE_ADMIN_PORT = ADMIN_PORT + 20
PREFIX = "/OpenADR2/Simple/2.0b"


@dataclass
class SecureGateway:
    url: str
    certs: dict[str, Issued]
    log_path: Path
    directory: Path

    def ven_tls(self, ven: str | Issued | None, ciphers: str | None = None) -> ssl.SSLContext:
        """A VEN's TLS; with `ciphers`, TLS 1.2 with those suites only (a 2.0a VEN's, say)."""
        context = ssl.create_default_context(cafile=str(self.certs["ca"].cert_path))
        if ven is not None:
            issued = self.certs[ven] if isinstance(ven, str) else ven
            context.load_cert_chain(issued.cert_path, issued.key_path)
        if ciphers is not None:
            context.maximum_version = ssl.TLSVersion.TLSv1_2
            context.set_ciphers(ciphers)
        return context

    def new_certificate(self, name: str) -> Issued:
        """A fresh client certificate of the VTN's CA (ECC: quick to make, and signs with ECDSA-SHA256)."""
        ca = self.certs["ca"]
        key = serialization.load_pem_private_key(ca.key_path.read_bytes(), None)
        assert isinstance(key, PrivateKey)
        ca_cert = x509.load_pem_x509_certificate(ca.cert_path.read_bytes())
        return issue(self.directory / name, name, "ecc", key, ca_cert, server=False)


@pytest.fixture(scope="session")
def secure_gateway(
    vtn: RunningVtn, vtn_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SecureGateway]:
    directory = tmp_path_factory.mktemp("certs")
    certs = generate(directory, ["ven1", "ven2", "ven3"])
    env = {
        **vtn_env,
        "VTN_HTTP_PORT": str(SECURE_PORT),
        "VTN_ADMIN_PORT": str(SECURE_ADMIN_PORT),
        "VTN_INSTANCE_ID": "secure-gateway",
        **settings_for(certs),
        "VTN_REQUIRE_MESSAGE_SIGNATURES": "true",
        "VTN_HTTP_TLS_2_0A_SUITES": "true",  # the 2.0a profile's TLS 1.2 suites too (docs/profile-2a.md)
        "VTN_REPLAY_MAX_AGE_SECONDS": "30",
    }
    log_path = tmp_path_factory.mktemp("logs") / "secure-gateway.log"
    process = ManagedProcess(
        "secure-gateway", [sys.executable, "-m", "gateway"], env, log_path, cwd=REPO_ROOT, new_session=True
    )
    process.start()
    try:
        process.wait_for_port("127.0.0.1", SECURE_PORT, timeout=60)
        yield SecureGateway(f"https://localhost:{SECURE_PORT}{PREFIX}", certs, log_path, directory)
    finally:
        process.stop(timeout=20)


@dataclass(frozen=True)
class Answer:
    kind: str
    payload: dict[str, Any]
    body: bytes

    @property
    def code(self) -> int:
        return int((self.payload.get("response") or {}).get("response_code", 0))

    @property
    def description(self) -> str:
        return str((self.payload.get("response") or {}).get("response_description") or "")


class SignedVen:
    """A VEN with its own certificate over HTTPS: every message signed with it (OpenLEADR's create_message)."""

    def __init__(self, http: httpx.AsyncClient, certificate: Issued, ven_name: str) -> None:
        self.http = http
        self.certificate = certificate
        self.ven_name = ven_name
        self.ven_id: str | None = None
        self.registration_id: str | None = None

    async def send(self, service: str, message_type: str, **fields: Any) -> Answer:
        body = openleadr_signed(message_type, self.certificate.cert_path, self.certificate.key_path, **fields)
        answer = await self.http.post(f"/{service}", content=body)
        assert answer.status_code == 200, answer.text
        etree.fromstring(answer.content)  # XML, whatever it says
        kind, payload = parse_message(answer.content)
        return Answer(kind, payload, answer.content)

    async def register(self) -> SignedVen:
        answer = await self.send(
            "EiRegisterParty",
            "oadrCreatePartyRegistration",
            request_id=new_request_id(),
            ven_name=self.ven_name,
            profile_name="2.0b",
            transport_name="simpleHttp",
            transport_address=None,
            report_only=False,
            xml_signature=True,
            http_pull_model=True,
        )
        assert answer.code == 200, answer
        self.ven_id, self.registration_id = answer.payload["ven_id"], answer.payload["registration_id"]
        return self

    async def poll(self) -> Answer:
        return await self.send("OadrPoll", "oadrPoll", ven_id=self.ven_id)

    async def poll_until(self, message_type: str, polls: int = 60) -> Answer:
        for _ in range(polls):
            answer = await self.poll()
            if answer.kind == message_type:
                return answer
        raise AssertionError(f"no {message_type} in {polls} polls")


@pytest.fixture
async def signed_vens(secure_gateway: SecureGateway) -> AsyncIterator[Any]:
    """Makes SignedVens, each with a fresh certificate and its own TLS connection; closes them afterwards."""
    clients: list[httpx.AsyncClient] = []

    def make(name: str) -> SignedVen:
        certificate = secure_gateway.new_certificate(name)
        client = httpx.AsyncClient(base_url=secure_gateway.url, verify=secure_gateway.ven_tls(certificate), timeout=15)
        clients.append(client)
        return SignedVen(client, certificate, name)

    yield make
    for client in clients:
        await client.aclose()


MakeVen = Callable[[str], SignedVen]


async def two_vens(signed_vens: MakeVen, unique: Callable[[str], str]) -> tuple[SignedVen, SignedVen]:
    """VENs A and B, registered, each with its own certificate."""
    return await signed_vens(unique("ven-a")).register(), await signed_vens(unique("ven-b")).register()
