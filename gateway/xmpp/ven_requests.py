"""A VEN's request over XMPP, through the gateway's own exchange (gateway.exchange): one code path for both
transports. The sender's JID, authenticated by the XMPP server, stands for its TLS client certificate: its
account is the certificate's fingerprint (shared.xmpp_addresses). Then decoding, the 2.0b schema, the security
checks (signature by that certificate, replay, venID bound to it) and the services' answers are those of a
request over HTTPS."""

from __future__ import annotations

import asyncio
import logging
import xml.etree.ElementTree as ET

from gateway.answers import oadr_error
from gateway.exchange import OadrExchange
from gateway.refusals import SecurityRefusals
from gateway.xmpp.connection import StanzaAnswer
from gateway.xmpp.stanzas import answer_stanza, message_type_of, service_of_request
from gateway.xmpp.wire_form import document_of
from shared.contract.ven_traffic import RequestContext
from shared.oadr.common import ResponseCode
from shared.xmpp_addresses import fingerprint_of_jid, parse_jid

log = logging.getLogger(__name__)


class XmppVenRequests:
    def __init__(
        self,
        exchange: OadrExchange,
        domain: str,
        max_payload_bytes: int,
        concurrency: int,
        refusals: SecurityRefusals | None = None,
    ) -> None:
        self._exchange = exchange
        self._domain = domain
        self._max_payload_bytes = max_payload_bytes
        self._slots = asyncio.Semaphore(concurrency)
        self._refusals = refusals or SecurityRefusals()

    async def __call__(self, sender: str, payload: ET.Element) -> StanzaAnswer:
        try:
            jid = parse_jid(sender)
        except ValueError:
            jid = None
        fingerprint = fingerprint_of_jid(jid, self._domain) if jid is not None else None
        if fingerprint is None:
            self._refusals.note("xmpp_sender_not_a_certificate", f"{sender} is not a VEN account of {self._domain}")
            refused = oadr_error(
                403, ResponseCode.NOT_REGISTERED_OR_AUTHORIZED, "the sender is not a VEN of this server"
            )
            return answer_stanza(refused)
        body = document_of(payload)
        if len(body) > self._max_payload_bytes:
            return answer_stanza(
                oadr_error(413, ResponseCode.BAD_REQUEST, f"payload larger than {self._max_payload_bytes} bytes")
            )
        message_type = message_type_of(payload)
        service = service_of_request(message_type)
        if service is None:
            detail = f"{message_type or 'this payload'} is not a request a VEN sends over XMPP"
            if message_type == "oadrResponse":
                detail = "oadrResponse travels as the result of the IQ it answers, not as a request"
            return answer_stanza(oadr_error(200, ResponseCode.BAD_REQUEST, detail))
        context = RequestContext(fingerprint=fingerprint, remote_addr=f"xmpp:{sender}")
        async with self._slots:
            answer = await self._exchange.handle(service, body, context)
        return answer_stanza(answer)
