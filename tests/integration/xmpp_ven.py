"""An OpenADR 2.0b VEN over XMPP for the integration tests, on the same XMPP library as the VTN's connector.

It logs in to the stack's XMPP server with a certificate of the stack's CA (SASL EXTERNAL; its account is the
certificate's fingerprint), tells the VTN it is online with a directed presence, sends its requests as IQ sets
to the VTN's address and answers every IQ set the VTN sends it as the 2.0b spec says (the templates of
bench.loadgen.push_server.spec_answer), each in the XMPP form (gateway.xmpp.wire_form). Every document the VTN
pushed is kept in order and checked against the official 2.0b schema; an event set is answered with an
oadrCreatedEvent sent as a request afterwards, as an HTTP push VEN does.

By default it uses the session stack of `make test` (VTN_DEVSTACK_*); a `Server` names another one (the fault
suite's).
"""

from __future__ import annotations

import asyncio
import os
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from lxml import etree

from bench.loadgen import messages
from bench.loadgen.push_server import Pushed, read_push, spec_answer
from devstack.certs import Issued, issue
from gateway.xmpp.connection import AskFailed, StanzaAnswer, XmppConnection, client_context
from gateway.xmpp.wire_form import document_of, element_of, xmpp_form
from tests.conftest import assert_valid
from tests.integration.push_ven import until_sent, wait_for_push

_EI = "http://docs.oasis-open.org/ns/energyinterop/201110"


@dataclass(frozen=True)
class Server:
    """An XMPP server of a stack: where it listens, the VTN's address on it, the stack's CA folder."""

    address: tuple[str, int]
    vtn: str
    tls_dir: Path

    @classmethod
    def of_session_stack(cls) -> Server:
        host, _, port = os.environ["VTN_DEVSTACK_XMPP_SERVER"].rpartition(":")
        return cls((host, int(port)), os.environ["VTN_DEVSTACK_XMPP_ADDRESS"], Path(os.environ["VTN_DEVSTACK_TLS_DIR"]))


def stack_tls_dir() -> Path:
    return Path(os.environ["VTN_DEVSTACK_TLS_DIR"])


def vtn_address() -> str:
    return os.environ["VTN_DEVSTACK_XMPP_ADDRESS"]


def issue_certificate(directory: Path, name: str, ca: str = "ca", tls_dir: Path | None = None) -> Issued:
    """A client certificate for a VEN from the stack's CA (or, with ca="other-ca", from a CA the server does not trust)."""
    tls = tls_dir or stack_tls_dir()
    ca_cert = x509.load_pem_x509_certificate((tls / f"{ca}.crt").read_bytes())
    ca_key = serialization.load_pem_private_key((tls / f"{ca}.key").read_bytes(), None)
    return issue(directory / name, name, "ecc", ca_key, ca_cert, server=False)  # type: ignore[arg-type]


def account_of(certificate: Issued) -> str:
    return certificate.fingerprint.replace(":", "").lower()


AnswersSent = Callable[[str, list[tuple[str, int, str]]], None]


class XmppVen:
    def __init__(
        self,
        name: str,
        certificate: Issued,
        schema: etree.XMLSchema,
        resource: str = "ven",
        server: Server | None = None,
        on_answers_sent: AnswersSent | None = None,
        answer_attempts: int = 20,
    ) -> None:
        self.name = name
        self.certificate = certificate
        self.schema = schema
        self.server = server or Server.of_session_stack()
        self.vtn = self.server.vtn
        self.jid = f"{account_of(certificate)}@{self.vtn.partition('@')[2]}/{resource}"
        self.ven_id = ""
        self.registration_id = ""
        self.answer_events = True
        self.received: list[Pushed] = []
        self.senders: list[str] = []  # who each push came from (a resource of the VTN's account)
        self.invalid: list[str] = []
        self.sent_answers: list[tuple[str, int, str]] = []
        self._answering: set[asyncio.Task[None]] = set()
        self._on_answers_sent = on_answers_sent  # with the venID and the answers, once the VTN acknowledged them
        self._answer_attempts = answer_attempts
        self.connection = self._new_connection()

    def _new_connection(self) -> XmppConnection:
        ca = str(self.server.tls_dir / "ca.crt")
        context = client_context(str(self.certificate.cert_path), str(self.certificate.key_path), ca)
        connection = XmppConnection(
            self.jid, self.server.address, context, on_payload=self._pushed, send_presence=False
        )
        connection.presence_to = self.vtn
        return connection

    async def connect(self, timeout: float = 20.0) -> None:
        if self.connection.online:
            return
        self.connection = self._new_connection()
        self.connection.start()
        await self.connection.wait_online(timeout)

    async def disconnect(self) -> None:
        await self.connection.close()

    async def request(self, body: bytes, timeout: float = 15.0) -> bytes:
        """Send a request (an OpenADR document) to the VTN; its answer, as a document."""
        answer = await self.connection.ask(self.vtn, element_of(xmpp_form(body)), timeout)
        assert answer is not None, "the VTN's IQ result carried no oadrPayload"
        document = document_of(answer)
        assert_valid(self.schema, document)
        return document

    async def register(self, transport_address: str | None = None) -> bytes:
        body = messages.create_party_registration(
            uuid.uuid4().hex, self.name, transport_name="xmpp",
            transport_address=self.jid if transport_address is None else transport_address,
        )  # fmt: skip
        answer = await self.request(body)
        root = etree.fromstring(answer)
        ven_id = root.findtext(f".//{{{_EI}}}venID")
        if ven_id and b"<responseCode>200<" in answer:
            self.ven_id = ven_id
            self.registration_id = root.findtext(f".//{{{_EI}}}registrationID") or ""
        return answer

    async def _pushed(self, sender: str, payload: ET.Element) -> StanzaAnswer:
        body = document_of(payload)
        try:
            assert_valid(self.schema, body)  # every pushed document against the official 2.0b XSD
        except AssertionError as invalid:
            self.invalid.append(str(invalid))
        pushed = read_push("xmpp", body)
        self.received.append(pushed)
        self.senders.append(sender)
        if pushed.message_type == "oadrDistributeEvent" and self.answer_events:
            answers = [(event_id, modification, "optIn") for event_id, modification, _ in pushed.events]
            if answers:
                task = asyncio.get_running_loop().create_task(self._answer(pushed.request_id or "", answers))
                self._answering.add(task)
                task.add_done_callback(self._answering.discard)
        return StanzaAnswer(element_of(xmpp_form(spec_answer(pushed, self.ven_id))))

    async def _answer(self, request_id: str, answers: list[tuple[str, int, str]]) -> None:
        body = messages.created_event(request_id, self.ven_id, answers)

        async def sent() -> bool:
            try:
                return b"<responseCode>200<" in await self.request(body)
            except (AskFailed, AssertionError):
                return False

        if await until_sent(sent, self._answer_attempts):
            self.sent_answers.extend(answers)
            if self._on_answers_sent is not None:
                self._on_answers_sent(self.ven_id, answers)

    def types_received(self) -> list[str]:
        return [pushed.message_type for pushed in self.received]

    async def wait_for(
        self, predicate: Callable[[Pushed], bool], timeout: float = 20.0, what: str = "a push"
    ) -> Pushed:
        return await wait_for_push(self.name, self.received, self.invalid, predicate, timeout, what)

    async def wait_for_type(self, message_type: str, timeout: float = 20.0) -> Pushed:
        return await self.wait_for(lambda p: p.message_type == message_type, timeout, message_type)

    def stop_answering(self) -> None:
        """Answer no more events and give up the answers still being sent."""
        self.answer_events = False
        for task in list(self._answering):
            task.cancel()

    async def settle(self) -> None:
        while self._answering:
            await asyncio.gather(*list(self._answering), return_exceptions=True)
