"""How OpenADR requests and answers map onto XMPP IQs. Pure: no I/O.

A VEN sends each request as an IQ set to the VTN's JID, the oadrPayload as the IQ's only child. No endpoint
names the service as a simple-HTTP URL does: the message does (`service_of_request`), each VEN message type
belonging to one service except oadrResponse, which over XMPP travels only as the result of the IQ it
acknowledges. The gateway's answer goes back as the IQ result carrying the answer's oadrPayload, or, when
the gateway answered with an HTTP error status, as an IQ error whose condition says the same and which
carries the oadrPayload too (`answer_stanza`):

    HTTP 200 -> result      503 -> wait/resource-constraint      403 -> auth/forbidden
    413 -> modify/policy-violation      other 4xx -> modify/bad-request
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from gateway.answers import HttpAnswer
from gateway.routing import ROUTES_BY_SERVICE
from gateway.xmpp.connection import StanzaAnswer
from gateway.xmpp.wire_form import element_of
from shared.oadr_xml.namespaces import OADR

_SERVICE_OF_TYPE: dict[str, str] = {}
for _service, _route in ROUTES_BY_SERVICE.items():
    for _message_type in _route.message_types:
        _SERVICE_OF_TYPE[_message_type] = "" if _message_type in _SERVICE_OF_TYPE else _service  # "": ambiguous

SIGNED_OBJECT = f"{{{OADR}}}oadrSignedObject"
_ERRORS = {
    503: ("wait", "resource-constraint"),
    403: ("auth", "forbidden"),
    413: ("modify", "policy-violation"),
}


def message_type_of(payload: ET.Element) -> str | None:
    """The OpenADR message an oadrPayload element carries (the first child of its oadrSignedObject)."""
    signed = payload.find(SIGNED_OBJECT)
    if signed is None or len(signed) == 0:
        return None
    tag = str(signed[0].tag)
    return tag.split("}", 1)[1] if tag.startswith(f"{{{OADR}}}") else None


def service_of_request(message_type: str | None) -> str | None:
    """The simple-HTTP service a VEN's request over XMPP belongs to (None: none, or it is no request)."""
    return _SERVICE_OF_TYPE.get(message_type or "") or None


def answer_stanza(answer: HttpAnswer) -> StanzaAnswer:
    payload = element_of(answer.body) if answer.body else None
    if answer.status == 200:
        return StanzaAnswer(payload)
    error_type, condition = _ERRORS.get(answer.status, ("modify", "bad-request"))
    return StanzaAnswer(payload, error_type, condition, f"HTTP {answer.status} over simple HTTP")
