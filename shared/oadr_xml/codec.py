"""Entry points of the codec: `decode` an inbound oadrPayload, `encode` an outbound message.

Each OpenADR domain module (registration, events, reports, opt) contributes `PARSERS`, keyed by the
local name of the element inside oadrSignedObject, and `RENDERERS`, keyed by the model's message_type.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from lxml import etree

from shared.oadr.event import DistributeEvent
from shared.oadr.event_sets import SharedEventSet
from shared.oadr.messages import VenMessage, VtnMessage
from shared.oadr_xml import events, opt, registration, reports
from shared.oadr_xml.answer_templates import encode_from_template
from shared.oadr_xml.errors import NotOpenAdr, UnsupportedMessage, WrongProfile
from shared.oadr_xml.event_sets import SetDocuments
from shared.oadr_xml.namespaces import OADR, OADR_20A, q
from shared.oadr_xml.parser import parse_document
from shared.oadr_xml.schema import validate
from shared.oadr_xml.tree import child

Parser = Callable[[etree._Element], Any]
Renderer = Callable[[Any], etree._Element]

_PARSERS: Mapping[str, Parser] = {
    **registration.PARSERS,
    **events.PARSERS,
    **reports.PARSERS,
    **opt.PARSERS,
}
_RENDERERS: Mapping[str, Renderer] = {
    **registration.RENDERERS,
    **events.RENDERERS,
    **reports.RENDERERS,
    **opt.RENDERERS,
}

PAYLOAD = q(OADR, "oadrPayload")
SIGNED_OBJECT = q(OADR, "oadrSignedObject")


@dataclass(frozen=True, slots=True)
class InboundDocument:
    """A parsed, schema-valid inbound document: the tree (for signature checks) and its message."""

    root: etree._Element
    message: VenMessage

    @property
    def message_type(self) -> str:
        return self.message.message_type


def decode(body: bytes, schema: etree.XMLSchema | None) -> InboundDocument:
    """Turn a VEN's request body into a message model; raise an OadrXmlError subclass when impossible.

    `schema` is the compiled 2.0b XSD; None skips validation (only for unit tests of the mapping).
    """
    root = parse_document(body)
    if etree.QName(root).namespace == OADR_20A:
        raise WrongProfile("2.0a")
    if root.tag != PAYLOAD:
        raise NotOpenAdr(f"root element is {etree.QName(root).localname!r}, not oadrPayload")
    if schema is not None:
        validate(root, schema)
    signed_object = child(root, SIGNED_OBJECT)
    if signed_object is None or len(signed_object) != 1:
        raise NotOpenAdr("oadrPayload must hold one oadrSignedObject with one message")
    element = signed_object[0]
    name = etree.QName(element).localname
    parse = _PARSERS.get(name)
    if parse is None:
        raise UnsupportedMessage(f"{name} is not a message a VEN sends to a VTN")
    return InboundDocument(root=root, message=parse(element))


def render_tree(message: VtnMessage) -> etree._Element:
    """The oadrPayload tree for an outbound message (signing inserts ds:Signature into it)."""
    render = _RENDERERS.get(message.message_type)
    if render is None:
        raise TypeError(f"no renderer for {message.message_type}")
    root = etree.Element(PAYLOAD, nsmap={"oadr": OADR})
    signed_object = etree.SubElement(root, SIGNED_OBJECT)
    signed_object.set(q(OADR, "Id"), "oadrSignedObject")
    signed_object.append(render(message))
    return root


def to_bytes(root: etree._Element) -> bytes:
    document: bytes = etree.tostring(root, xml_declaration=True, encoding="utf-8")
    return document


def render(message: VtnMessage) -> bytes:
    """An outbound message as an unsigned oadrPayload document, through its element tree."""
    return to_bytes(render_tree(message))


# Event sets, each rendered once for all the VENs that share it (a process writes sets only through this).
EVENT_SETS = SetDocuments(render)


def encode(message: VtnMessage) -> bytes:
    """Render an outbound message as an unsigned oadrPayload document (the commonest answers from templates,
    event sets once per set shared by many VENs)."""
    if isinstance(message, DistributeEvent):
        return EVENT_SETS.encode(message)
    from_template = encode_from_template(message, render)
    return from_template if from_template is not None else render(message)


def encode_copy(shared: SharedEventSet, ven_id: str, request_id: str) -> bytes:
    """`encode(shared.message(ven_id, request_id))`, from the set's one rendering, the set named by the caller."""
    return EVENT_SETS.copy(shared, ven_id, request_id)
