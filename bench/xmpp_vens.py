"""Simulated XMPP VENs for the event benchmark (target `vtn-xmpp`), the XMPP counterpart of bench.event_vens.

Each VEN logs in to the stack's XMPP server with its own ECC client certificate (SASL EXTERNAL: its account is
the certificate's fingerprint, docs/xmpp.md), tells the VTN it is online with a directed presence, registers
over XMPP (oadrTransportName `xmpp`, its full JID as oadrTransportAddress), then answers every IQ set the VTN
sends with the IQ result the 2.0b spec asks for (an oadrResponse to an event set) and, for every event
version it has not answered yet, sends its oadrCreatedEvent optIn as an IQ set to the VTN, asked again while
the VTN says "wait", as tests/integration/xmpp_ven.py does. What it holds and when a phase's expectation was
met is tracked by bench.event_vens.EventVen, so the benchmark reads XMPP VENs as it reads polling ones.

Sessions are the connector's own client (gateway.xmpp.connection, on slixmpp), all in the benchmark's process;
its CPU is reported with the stack's (the benchmark's process label) to show when the fleet is the bottleneck.
The certificates come from a CA of their own (bench.bench_certs) in a folder kept between runs
(`VTN_BENCH_XMPP_CERTS_DIR`), which the bench's XMPP server trusts beside the stack's own CA.
"""

from __future__ import annotations

import asyncio
import os
import re
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.bench_certs import BenchCertificates, bench_certificates
from bench.event_vens import AnswerTemplate, EventVen
from bench.loadgen import messages
from bench.loadgen.config import ClientCertificate, VtnAddress
from bench.loadgen.push_server import read_push, spec_answer
from bench.loadgen.ven import RegistrationFailed
from devstack.config import REPO_ROOT
from devstack.xmpp_server import XmppServer, xmpp_account
from gateway.xmpp.connection import AskFailed, StanzaAnswer, XmppConnection, client_context
from gateway.xmpp.wire_form import document_of, element_of, xmpp_form

CERTS_DIR = Path(os.environ.get("VTN_BENCH_XMPP_CERTS_DIR", str(REPO_ROOT / ".devstack" / "bench-xmpp-certs")))
RESOURCE = "ven"  # a VEN keeps its resource: the VTN sends to the full JID it registered
LOGIN_CONCURRENCY = 32  # sessions opened at once (TLS handshakes on the server)
LOGIN_TIMEOUT_SECONDS = 120.0
ASK_TIMEOUT_SECONDS = 30.0
ATTEMPTS = 20  # a request answered "wait" (the VTN's services busy) or unanswered is asked again this often
RETRY_PAUSE_SECONDS = 0.5
_VEN_ID = re.compile(rb"<(?:[\w.-]+:)?venID(?:\s[^>]*)?>([^<]+)<")
_ACCEPTED = b"<responseCode>200<"
_RETRIED = frozenset({"busy", "timeout", "connect"})


def xmpp_certificates(vens: int) -> BenchCertificates:
    """At least `vens` VEN certificates of the benchmark's CA, made once and kept for the next runs."""
    return bench_certificates(CERTS_DIR, vens)


@dataclass(frozen=True)
class XmppService:
    """Where the VENs log in: the server's address, the VTN's bare JID there, the CA of the server's certificate."""

    address: tuple[str, int]
    vtn: str
    server_ca: str

    @property
    def domain(self) -> str:
        return self.vtn.partition("@")[2]

    @classmethod
    def of(cls, server: XmppServer) -> XmppService:
        # the stack's CA issued the server's certificate; the server's client-CA bundle holds it
        return cls((server.host, server.port), server.vtn_address, str(server.tls.client_ca_path))


class XmppEventVen(EventVen):
    """One VEN on its own XMPP session; its events and answers tracked as EventVen tracks a polling VEN's."""

    def __init__(self, name: str, certificate: ClientCertificate, service: XmppService, address: VtnAddress) -> None:
        super().__init__(name, address, ASK_TIMEOUT_SECONDS)  # `address` unused: nothing goes over HTTP
        self.service = service
        self.jid = f"{xmpp_account(Path(certificate.cert_path).read_text())}@{service.domain}/{RESOURCE}"
        context = client_context(certificate.cert_path, certificate.key_path, service.server_ca)
        self.connection = XmppConnection(self.jid, service.address, context, on_payload=self._pushed)
        self.connection.presence_to = service.vtn

    async def register(self) -> None:
        """Log in, then register over XMPP; RegistrationFailed names why not."""
        self.connection.start()
        try:
            await self.connection.wait_online(LOGIN_TIMEOUT_SECONDS)
        except TimeoutError:
            raise RegistrationFailed("xmpp_login_timeout") from None
        body = messages.create_party_registration(
            uuid.uuid4().hex, self.name, transport_name="xmpp", transport_address=self.jid
        )
        answer = await self._ask_until_answered(body)
        found = _VEN_ID.search(answer)
        if found is None or _ACCEPTED not in answer:
            raise RegistrationFailed("xmpp_registration_refused")
        self.ven_id = found.group(1).decode()

    async def run(self, stop: asyncio.Event, phase: float, poll_seconds: float) -> None:
        """An XMPP VEN does not poll: its sets come as IQs (`_pushed`) until `stop`."""
        assert self.ven_id is not None
        self._template = AnswerTemplate.for_ven(self.ven_id)
        await stop.wait()
        await self.settle_answers()

    async def settle_answers(self) -> None:
        """Return once every oadrCreatedEvent under way was acknowledged or given up."""
        while self._answering:
            await asyncio.gather(*list(self._answering), return_exceptions=True)

    async def close(self) -> None:
        await self.connection.close()
        await super().close()

    async def _pushed(self, _sender: str, payload: ET.Element) -> StanzaAnswer:
        body = document_of(payload)
        kept = self.keep(body)
        if kept is not None and kept[1] and self._template is not None:
            task = asyncio.get_running_loop().create_task(self._answer(*kept))
            self._answering.add(task)
            task.add_done_callback(self._answering.discard)
        return StanzaAnswer(element_of(xmpp_form(spec_answer(read_push("xmpp", body), self.ven_id or ""))))

    async def _answer(self, request_id: str, versions: list[tuple[str, int]]) -> None:
        assert self._template is not None
        try:
            answer = await self._ask_until_answered(self._template.render(request_id, versions))
        except AskFailed:
            answer = b""
        if _ACCEPTED in answer:
            self.tracking.answered_versions.update(versions)
        else:
            self.answer_errors += 1

    async def _ask_until_answered(self, body: bytes) -> bytes:
        """The VTN's answer to request `body`, asked again (up to ATTEMPTS) while it says wait or stays silent."""
        stanza = element_of(xmpp_form(body))
        for _ in range(ATTEMPTS - 1):
            try:
                return await self._ask(stanza)
            except AskFailed as failed:
                if failed.kind not in _RETRIED:
                    raise
            await asyncio.sleep(RETRY_PAUSE_SECONDS)
        return await self._ask(stanza)

    async def _ask(self, stanza: ET.Element) -> bytes:
        payload = await self.connection.ask(self.service.vtn, stanza, ASK_TIMEOUT_SECONDS)
        return b"" if payload is None else document_of(payload)


async def xmpp_fleet(
    count: int, service: XmppService, certificates: Sequence[ClientCertificate], address: VtnAddress
) -> list[EventVen]:
    """`count` XMPP VENs logged in and registered, each with its own certificate."""
    if count > len(certificates):
        raise ValueError(f"{count} XMPP VENs need as many certificates, not {len(certificates)}")
    run = uuid.uuid4().hex[:8]
    vens: list[EventVen] = [
        XmppEventVen(f"event-bench-xmpp-{run}-{index}", certificates[index], service, address) for index in range(count)
    ]
    limit = asyncio.Semaphore(LOGIN_CONCURRENCY)

    async def register(ven: EventVen) -> None:
        async with limit:
            await ven.register()

    await asyncio.gather(*(register(ven) for ven in vens))
    return vens
