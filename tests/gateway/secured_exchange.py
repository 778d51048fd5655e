"""A gateway exchange with the whole security layer and an in-memory bus, for the security tests.

`make` binds venID ven-1 to the certificate ven1, ven-2 to ven2 and ven-ecc to the ECC certificate vtn-ecc (as
registration_svc would), requires a
client certificate and verifies signatures; every forwarded request is answered OK by the fake service."""

from __future__ import annotations

from lxml import etree

from devstack.certs import Issued
from gateway.exchange import ExchangeSettings, OadrExchange
from gateway.poll_answers import PollAnswerCache
from gateway.security.message_security import MessageSecurity, SecurityPolicy
from gateway.security.replay import MemoryNonceStore, ReplayGuard
from gateway.security.signatures import MessageSigner
from shared.contract.envelope import Envelope
from shared.contract.ven_traffic import ContractModel, RequestContext, VenReply, VenRequest
from shared.oadr.common import EiResponse
from shared.oadr.registration import Response
from tests.fakes import FakeRequester, RecordingBatcher
from tests.security_documents import openleadr_signed


class Directory:
    """venID -> fingerprint, as registration_svc binds them."""

    def __init__(self, bindings: dict[str, str]) -> None:
        self.bindings = bindings

    async def fingerprint_of(self, ven_id: str) -> str | None:
        return self.bindings.get(ven_id)


def ok_answer(topic: str, envelope: Envelope) -> ContractModel:
    request = envelope.payload
    assert isinstance(request, VenRequest)
    return VenReply(
        message=Response(response=EiResponse(), ven_id=getattr(request.message, "ven_id", None)), cacheable=True
    )


def make(
    certs: dict[str, Issued], schema: etree.XMLSchema, *, require: bool = True, sign: bool = True
) -> tuple[OadrExchange, FakeRequester, MessageSecurity]:
    signer = MessageSigner.from_files(certs["vtn-rsa"].cert_path, certs["vtn-rsa"].key_path, None) if sign else None
    security = MessageSecurity(
        SecurityPolicy(require_client_certificate=True, verify_signatures=True, require_signatures=require),
        schema,
        ReplayGuard(MemoryNonceStore(), max_age_seconds=30),
        Directory(
            {
                "ven-1": certs["ven1"].fingerprint,
                "ven-2": certs["ven2"].fingerprint,
                "ven-ecc": certs["vtn-ecc"].fingerprint,
            }
        ),
        signer,
    )
    requester = FakeRequester(ok_answer)
    exchange = OadrExchange(
        requester,
        schema,
        PollAnswerCache(60, 100),
        RecordingBatcher(),
        ExchangeSettings(0.1),
        security,  # type: ignore[arg-type]
    )
    return exchange, requester, security


def as_ven(certs: dict[str, Issued], name: str) -> RequestContext:
    return RequestContext(remote_addr="127.0.0.1:1", fingerprint=certs[name].fingerprint)


def code_and_text(body: bytes) -> tuple[str, str]:
    root = etree.fromstring(body)
    return root.findtext(".//{*}responseCode") or "", root.findtext(".//{*}responseDescription") or ""


def poll(certs: dict[str, Issued], ven: str = "ven1", ven_id: str = "ven-1") -> bytes:
    return openleadr_signed("oadrPoll", certs[ven].cert_path, certs[ven].key_path, ven_id=ven_id)
