"""Codec pieces used by several message families: eiResponse, durations wrapped in xcal."""

from __future__ import annotations

from datetime import timedelta

from lxml import etree

from shared.oadr.common import EiResponse
from shared.oadr_xml.errors import SchemaViolation
from shared.oadr_xml.namespaces import EI, NSMAPS, OADR, PYLD, XCAL, q
from shared.oadr_xml.tree import Parent, add, add_optional, child, required_child, required_text, text_of
from shared.oadr_xml.values import format_duration, parse_duration

SCHEMA_VERSION = "2.0b"
EI_RESPONSE = q(EI, "eiResponse")
REQUEST_ID = q(PYLD, "requestID")
VEN_ID = q(EI, "venID")
VTN_ID = q(EI, "vtnID")


def message_element(local_name: str, namespace: str = OADR) -> etree._Element:
    """A top-level oadr message element, ready to be filled: in 2.0b (`OADR`) it carries ei:schemaVersion,
    in 2.0a (`OADR_20A`, a schema without that attribute) it does not."""
    element = etree.Element(q(namespace, local_name), nsmap=NSMAPS[namespace])
    if namespace == OADR:
        element.set(q(EI, "schemaVersion"), SCHEMA_VERSION)
    return element


def parse_ei_response(parent: etree._Element) -> EiResponse:
    block = required_child(parent, EI_RESPONSE)
    code_text = required_text(block, q(EI, "responseCode"))
    try:
        code = int(code_text)
    except ValueError:
        raise SchemaViolation(f"invalid responseCode {code_text!r}") from None
    return EiResponse(
        response_code=code,
        response_description=text_of(block, q(EI, "responseDescription")),
        request_id=text_of(block, REQUEST_ID) or None,
    )


def add_ei_response(parent: etree._Element, response: EiResponse) -> None:
    block = add(parent, EI_RESPONSE)
    add(block, q(EI, "responseCode"), str(response.response_code))
    add_optional(block, q(EI, "responseDescription"), response.response_description)
    add(block, REQUEST_ID, response.request_id or "")


def parse_wrapped_duration(parent: Parent, qname: str) -> timedelta | None:
    """Read `<qname><xcal:duration>PT10S</xcal:duration></qname>` (xcal:DurationPropType)."""
    wrapper = child(parent, qname)
    if wrapper is None:
        return None
    return parse_duration(required_text(wrapper, q(XCAL, "duration")))


def add_wrapped_duration(parent: etree._Element, qname: str, value: timedelta) -> None:
    add(add(parent, qname), q(XCAL, "duration"), format_duration(value))
