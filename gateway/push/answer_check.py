"""A VEN's answer to a pushed message, checked as the gateway checks a request, whatever carried it (an HTTP
response, an XMPP IQ result): hardened parse and 2.0b XSD, the security checks (signature by the sender's
certificate, replay, venID bound to the certificate), and the answer must speak for the VEN pushed to."""

from __future__ import annotations

from lxml import etree

from gateway.answers import HttpAnswer
from gateway.push.deliverer import DeliveryFailed, VenAnswer
from gateway.security.message_security import MessageSecurity
from shared.contract.ven_traffic import RequestContext
from shared.oadr_xml.codec import decode
from shared.oadr_xml.errors import OadrXmlError


async def checked_answer(
    body: bytes, context: RequestContext, ven_id: str, schema: etree.XMLSchema, security: MessageSecurity | None
) -> VenAnswer:
    """The answer and what is known of its sender; raises DeliveryFailed when it is no acceptable answer."""
    try:
        document = decode(body, schema)
    except OadrXmlError as error:
        raise DeliveryFailed("bad_answer", f"not a valid OpenADR answer: {error}") from None
    answer = document.message
    if security is not None:
        admitted = await security.admit(document, context)
        if isinstance(admitted, HttpAnswer):
            raise DeliveryFailed("security_refused", "the answer failed the security checks (see security_refused)")
        answer, context = admitted.message, admitted.context
    answered_for = getattr(answer, "ven_id", None)
    if answered_for is not None and answered_for != ven_id:
        raise DeliveryFailed("security_refused", f"the answer speaks for venID {answered_for}, not {ven_id}")
    return VenAnswer(answer, context)
