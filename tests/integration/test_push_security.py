"""HTTP push with the security profile, on the real stack: a gateway serving HTTPS with client certificates and
required signatures, and a pusher configured the same way in place of the development one.

The pusher presents the VTN's certificate to the VEN's HTTPS endpoint, checks the VEN's server certificate
against the CA and against the certificate bound to its venID (before anything is sent), signs every push,
and accepts only a signed answer from that certificate. An impostor endpoint and an unsigned answer get
nothing delivered."""

from __future__ import annotations

import asyncio
import ssl
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass

import asyncpg
import httpx
import pytest
from lxml import etree
from openleadr.messaging import validate_xml_signature

from bench.loadgen import messages
from bench.loadgen.push_server import Pushed, PushVenServer, spec_answer
from bench.loadgen.signing import VenSigner
from devstack.certs import Issued, generate
from devstack.processes import ManagedProcess
from shared.fingerprints import fingerprint_of_der
from tests.integration.event_ven import simple_event
from tests.integration.push_ven import undelivered
from tests.integration.test_operations import metric_sample
from tests.stack import ADMIN_PORT, HEALTH_PORTS, HTTP_PORT, REPO_ROOT, RunningVtn

SECURE_PORT = HTTP_PORT + 30
SECURE_ADMIN_PORT = ADMIN_PORT + 30
SECURE_PUSHER_HEALTH_PORT = HTTP_PORT + 62


@dataclass
class SecurePush:
    url: str
    certs: dict[str, Issued]

    def client(self, ven: str) -> httpx.AsyncClient:
        context = ssl.create_default_context(cafile=str(self.certs["ca"].cert_path))
        context.load_cert_chain(self.certs[ven].cert_path, self.certs[ven].key_path)
        return httpx.AsyncClient(base_url=self.url, verify=context, timeout=15)

    def signer(self, ven: str) -> VenSigner:
        return VenSigner(self.certs[ven].cert_path.read_bytes(), self.certs[ven].key_path.read_bytes())

    def endpoint_tls(self, ven: str) -> ssl.SSLContext:
        """A VEN's HTTPS endpoint with certificate `ven`, requiring a client certificate of the CA."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.certs[ven].cert_path, self.certs[ven].key_path)
        context.load_verify_locations(cafile=self.certs["ca"].cert_path)
        context.verify_mode = ssl.CERT_REQUIRED
        return context


@pytest.fixture(scope="module")
def secure_push(
    vtn: RunningVtn, vtn_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SecurePush]:
    certs = generate(tmp_path_factory.mktemp("push-certs"), ["ven1", "ven2", "ven3"])
    secured = {
        "VTN_HTTP_CERT": str(certs["vtn-rsa"].cert_path),
        "VTN_HTTP_KEY": str(certs["vtn-rsa"].key_path),
        "VTN_HTTP_CA_FILE": str(certs["ca"].cert_path),
        "VTN_CERT": str(certs["vtn-rsa"].cert_path),
        "VTN_KEY": str(certs["vtn-rsa"].key_path),
        "VTN_REQUIRE_MESSAGE_SIGNATURES": "true",
        "VTN_SHOW_FINGERPRINT": "false",
    }
    logs = tmp_path_factory.mktemp("logs")
    gateway = ManagedProcess(
        "push-secure-gateway", [sys.executable, "-m", "gateway"],
        {**vtn_env, **secured, "VTN_HTTP_PORT": str(SECURE_PORT), "VTN_ADMIN_PORT": str(SECURE_ADMIN_PORT),
         "VTN_INSTANCE_ID": "push-secure-gateway"},
        logs / "gateway.log", cwd=REPO_ROOT, new_session=True,
    )  # fmt: skip
    plain = vtn.processes["gateway.push"]
    plain.stop(timeout=20)  # the secure pusher takes every partition
    pusher = ManagedProcess(
        "secure-pusher", [sys.executable, "-m", "gateway.push"],
        {**vtn_env, **secured, "VTN_HEALTH_PORT": str(SECURE_PUSHER_HEALTH_PORT), "VTN_INSTANCE_ID": "secure-pusher"},
        logs / "pusher.log", cwd=REPO_ROOT, new_session=True,
    )  # fmt: skip
    gateway.start()
    pusher.start()
    try:
        gateway.wait_for_port("127.0.0.1", SECURE_PORT, timeout=60)
        pusher.wait_for_port("127.0.0.1", SECURE_PUSHER_HEALTH_PORT, timeout=60)
        yield SecurePush(f"https://localhost:{SECURE_PORT}/OpenADR2/Simple/2.0b", certs)
    finally:
        pusher.stop(timeout=20)
        gateway.stop(timeout=20)
        plain.start()
        plain.wait_for_port("127.0.0.1", HEALTH_PORTS["gateway.push"], timeout=60)


@pytest.fixture
async def endpoints(secure_push: SecurePush) -> AsyncIterator[Callable[[str], PushVenServer]]:
    servers: list[PushVenServer] = []

    def make(certificate: str) -> PushVenServer:
        server = PushVenServer(ssl_context=secure_push.endpoint_tls(certificate))
        servers.append(server)
        return server

    yield make
    for server in servers:
        await server.stop()


async def register(secure: SecurePush, ven: str, address: str, name: str) -> str:
    body = messages.create_party_registration(
        uuid.uuid4().hex, name, transport_address=address, http_pull_model=False, xml_signature=True
    )
    async with secure.client(ven) as client:
        answer = await client.post("/EiRegisterParty", content=secure.signer(ven).sign(body))
    assert "<ei:responseCode>200<" in answer.text, answer.text
    return answer.text.split("<ei:venID>", 1)[1].split("<", 1)[0]


async def served(
    secure: SecurePush, endpoints: Callable[[str], PushVenServer], serving: str, registering: str, name: str
) -> tuple[PushVenServer, str]:
    """A VEN registered (over HTTPS, signed) with certificate `registering`, its endpoint serving `serving`."""
    server = endpoints(serving)
    await server.start()
    server.endpoint(name).ven_id = ven_id = await register(secure, registering, server.address_of(name), name)
    return server, ven_id


async def pusher_counts(outcome: str) -> float:
    async with httpx.AsyncClient(timeout=5) as client:
        metrics = (await client.get(f"http://127.0.0.1:{SECURE_PUSHER_HEALTH_PORT}/metrics")).text
    return metric_sample(metrics, "vtn_push_deliveries_total", message="oadrDistributeEvent", outcome=outcome)


async def counted(outcome: str, before: float, what: str, timeout: float = 15.0) -> None:
    """Wait until the pusher has counted one more push of that outcome."""
    deadline = time.monotonic() + timeout
    while await pusher_counts(outcome) <= before:
        assert time.monotonic() < deadline, what
        await asyncio.sleep(0.3)


async def test_a_push_over_https_carries_the_vtns_certificate_and_signature_and_a_signed_answer_delivers_it(
    secure_push: SecurePush,
    endpoints: Callable[[str], PushVenServer],
    admin: httpx.AsyncClient,
    db: asyncpg.Connection,
    official_schema: etree.XMLSchema,
    unique: Callable[[str], str],
) -> None:
    name = unique("secure-push")
    server, ven_id = await served(secure_push, endpoints, "ven1", "ven1", name)
    signer = secure_push.signer("ven1")
    endpoint = server.endpoint(name)
    endpoint.answerer = lambda pushed, ven_id: signer.sign(spec_answer(pushed, ven_id))

    event_id = (await admin.post("/events", json=simple_event((ven_id,), event_id=unique("secure")))).json()["event"][
        "descriptor"]["event_id"]  # fmt: skip
    pushed = await _first_push(endpoint.received, lambda p: any(e[0] == event_id for e in p.events))
    assert fingerprint_of_der(pushed.client_certificate or b"") == secure_push.certs["vtn-rsa"].fingerprint
    validate_xml_signature(
        etree.fromstring(pushed.body), secure_push.certs["vtn-rsa"].fingerprint
    )  # as a VEN checks it
    deadline = time.monotonic() + 15
    while await undelivered(db, ven_id):
        assert time.monotonic() < deadline, "the signed answer did not complete the delivery"
        await asyncio.sleep(0.2)


async def test_an_endpoint_with_another_vens_certificate_gets_nothing(
    secure_push: SecurePush,
    endpoints: Callable[[str], PushVenServer],
    admin: httpx.AsyncClient,
    db: asyncpg.Connection,
    unique: Callable[[str], str],
) -> None:
    """The VEN registered with ven2's certificate; its address serves ven3's: an impostor, or a hijacked name."""
    name = unique("impostor")
    server, ven_id = await served(secure_push, endpoints, "ven3", "ven2", name)
    before = await pusher_counts("tls")
    await admin.post("/events", json=simple_event((ven_id,), event_id=unique("not-for-impostors")))
    await counted("tls", before, "the pusher did not refuse the impostor's certificate")
    assert server.endpoint(name).received == []  # refused after the handshake, before any byte of the push
    assert await undelivered(db, ven_id) == 1


async def test_an_unsigned_answer_is_refused_when_signatures_are_required(
    secure_push: SecurePush,
    endpoints: Callable[[str], PushVenServer],
    admin: httpx.AsyncClient,
    db: asyncpg.Connection,
    unique: Callable[[str], str],
) -> None:
    name = unique("unsigned")
    server, ven_id = await served(secure_push, endpoints, "ven3", "ven3", name)
    before = await pusher_counts("security_refused")
    await admin.post("/events", json=simple_event((ven_id,), event_id=unique("needs-a-signed-answer")))
    await _first_push(server.endpoint(name).received, lambda p: p.message_type == "oadrDistributeEvent")
    await counted("security_refused", before, "the unsigned answer was not refused")
    assert await undelivered(db, ven_id) == 1  # still queued: retried until the VEN answers as it must


async def _first_push(received: list[Pushed], predicate: Callable[[Pushed], bool], timeout: float = 20.0) -> Pushed:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = next((p for p in received if predicate(p)), None)
        if found is not None:
            return found
        await asyncio.sleep(0.1)
    raise AssertionError(f"no push within {timeout:.0f}s")
