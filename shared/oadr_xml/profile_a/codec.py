"""Entry points of the 2.0a codec: `decode` a 2.0a VEN's request, `encode` the VTN's answer or push.

A 2.0a VEN sends the VTN oadrRequestEvent and oadrCreatedEvent (at /OpenADR2/Simple/EiEvent) and answers a
pushed oadrDistributeEvent with oadrResponse, or at once with its oadrCreatedEvent (`decode_push_answer`).
The VTN sends it oadrDistributeEvent, with each event reduced to what 2.0a carries (shared.oadr.profile_a; an
event that cannot reach a 2.0a VEN is left out, for the caller to report), and oadrResponse, which in 2.0a
carries no venID.
"""

from __future__ import annotations

from collections.abc import Callable

from lxml import etree

from shared.oadr import profile_a
from shared.oadr.event import DistributeEvent
from shared.oadr.messages import VenMessage, VtnMessage
from shared.oadr.registration import Response
from shared.oadr_xml.codec import PAYLOAD, InboundDocument, to_bytes
from shared.oadr_xml.errors import NotOpenAdr, UnsupportedMessage, WrongProfile
from shared.oadr_xml.events import parse_created_event, parse_request_event, render_distribute_event
from shared.oadr_xml.namespaces import OADR, OADR_20A, q
from shared.oadr_xml.parser import parse_document
from shared.oadr_xml.registration import parse_response, render_response_without_ven_id
from shared.oadr_xml.schema import validate

PROFILE = "2.0a"
REQUEST_EVENT = q(OADR_20A, "oadrRequestEvent")
CREATED_EVENT = q(OADR_20A, "oadrCreatedEvent")
RESPONSE = q(OADR_20A, "oadrResponse")
_REQUESTS: dict[str, Callable[[etree._Element], VenMessage]] = {
    REQUEST_EVENT: parse_request_event,
    CREATED_EVENT: parse_created_event,
}


def _root(body: bytes, schema: etree.XMLSchema | None) -> etree._Element:
    root = parse_document(body)
    if root.tag == PAYLOAD or etree.QName(root).namespace == OADR:
        raise WrongProfile("2.0b")
    if etree.QName(root).namespace != OADR_20A:
        raise NotOpenAdr(f"root element {etree.QName(root).localname!r} is not an OpenADR 2.0a message")
    if schema is not None:
        validate(root, schema, PROFILE)
    return root


def decode(body: bytes, schema: etree.XMLSchema | None) -> InboundDocument:
    """A 2.0a VEN's request as a message model; an OadrXmlError subclass when impossible. `schema` is the
    compiled 2.0a XSD (None skips validation, for unit tests of the mapping only)."""
    root = _root(body, schema)
    parse = _REQUESTS.get(root.tag)
    if parse is None:
        raise UnsupportedMessage(f"{etree.QName(root).localname} is not a message a 2.0a VEN sends to a VTN")
    return InboundDocument(root=root, message=parse(root))


def decode_push_answer(body: bytes, schema: etree.XMLSchema | None) -> VenMessage:
    """What a 2.0a VEN answers a pushed oadrDistributeEvent with: oadrResponse, or at once its oadrCreatedEvent."""
    root = _root(body, schema)
    if root.tag == RESPONSE:
        response: Response = parse_response(root)
        return response
    if root.tag == CREATED_EVENT:
        return parse_created_event(root)
    raise UnsupportedMessage(f"{etree.QName(root).localname} is not an answer to a pushed oadrDistributeEvent")


def encode(message: VtnMessage) -> bytes:
    """oadrDistributeEvent or oadrResponse as a 2.0a document. A DistributeEvent's events are reduced to what
    2.0a carries; those that cannot reach a 2.0a VEN are left out (`profile_a.left_out` names them)."""
    if isinstance(message, DistributeEvent):
        events = tuple(e for e in (profile_a.reduced(event) for event in message.events) if e is not None)
        return to_bytes(render_distribute_event(message.model_copy(update={"events": events}), OADR_20A))
    if isinstance(message, Response):
        return to_bytes(render_response_without_ven_id(message, OADR_20A))
    raise TypeError(f"{message.message_type} has no OpenADR 2.0a form")
