"""The XMPP deliverer: hands a VTN message to a VEN as an IQ set to the VEN's full JID and reads its answer
from the IQ result (gateway.push.deliverer's contract; the lanes, retries and presence above it are the
pusher's, unchanged).

    message -> XML in the XMPP form, signed so (VTN_CERT/VTN_KEY) -> IQ set to the VEN's JID, which must name
            the certificate bound to the venID -> the IQ result's oadrPayload: the same checks as an HTTP
            push's answer (gateway.push.answer_check), the sender being the certificate its JID names
"""

from __future__ import annotations

from lxml import etree

from gateway.push.answer_check import checked_answer
from gateway.push.deliverer import DeliveryFailed, PushTarget, VenAnswer
from gateway.push.documents import pushed_document
from gateway.security.message_security import MessageSecurity
from gateway.security.ven_identity import FingerprintSource
from gateway.xmpp.connection import AskFailed, XmppConnection
from gateway.xmpp.wire_form import document_of, element_of, xmpp_form
from shared.contract.ven_traffic import RequestContext
from shared.oadr.event_sets import SharedEventSet
from shared.oadr.messages import VtnMessage
from shared.xmpp_addresses import fingerprint_of_jid, parse_jid, push_target_refusal

_FAILURE_OF_ASK = {"connect": "connect", "timeout": "timeout", "busy": "ven_busy", "refused": "bad_answer"}


class XmppDeliverer:
    def __init__(
        self,
        connection: XmppConnection,
        domain: str,
        schema: etree.XMLSchema,
        security: MessageSecurity | None,
        timeout_seconds: float,
        fingerprints: FingerprintSource | None = None,
    ) -> None:
        self._connection = connection
        self._domain = domain
        self._schema = schema
        self._security = security
        self._timeout = timeout_seconds
        self._fingerprints = fingerprints

    async def deliver(
        self, target: PushTarget, message: VtnMessage, shared_set: SharedEventSet | None = None
    ) -> VenAnswer:
        bound = target.fingerprint
        if self._fingerprints is not None:
            try:
                bound = await self._fingerprints.fingerprint_of(target.ven_id)
            except Exception as error:
                raise DeliveryFailed("tls", f"cannot look up the certificate bound to the venID: {error!r}") from None
        refusal = push_target_refusal(target.transport_address, bound, self._domain)
        if refusal is not None:
            raise DeliveryFailed("address_refused", refusal)
        assert target.transport_address is not None
        body = xmpp_form(pushed_document(target.ven_id, message, shared_set))
        if self._security is not None:
            body = self._security.sign(body)
        try:
            answer = await self._connection.ask(target.transport_address, element_of(body), self._timeout)
        except AskFailed as failed:
            raise DeliveryFailed(_FAILURE_OF_ASK[failed.kind], failed.detail) from None
        if answer is None:
            raise DeliveryFailed("bad_answer", "the IQ result carried no oadrPayload")
        sender = fingerprint_of_jid(parse_jid(target.transport_address), self._domain)
        context = RequestContext(fingerprint=sender, remote_addr=f"xmpp:{target.transport_address}")
        return await checked_answer(document_of(answer), context, target.ven_id, self._schema, self._security)

    async def close(self) -> None:
        await self._connection.close()
