"""Reading what the VTN answered: which OpenADR message it is, and the venID granted at registration.

Poll answers are classified with anchored regular expressions instead of a full parse: the generator must stay
cheap, and all it needs is the message type and the eiResponse code. Registration answers arrive once per VEN,
so those are parsed properly with a hardened lxml parser.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxml import etree

_EI_NS = "http://docs.oasis-open.org/ns/energyinterop/201110"

_PAYLOAD_ROOT = re.compile(rb"<(?:[\w.-]+:)?oadrPayload[\s>]")
_SIGNED_OBJECT_CHILD = re.compile(rb"<(?:[\w.-]+:)?oadrSignedObject\b[^>]*>\s*<(?:[\w.-]+:)?([\w.-]+)")
_RESPONSE_CODE = re.compile(rb"<(?:[\w.-]+:)?responseCode\s*>\s*([^<\s]*)\s*<")

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, remove_comments=True)


@dataclass(frozen=True, slots=True)
class Answer:
    """The OpenADR message in an HTTP body; `message_type` is None when the body is not an oadrPayload."""

    message_type: str | None
    response_code: str | None


_NOT_OPENADR = Answer(message_type=None, response_code=None)


def classify(body: bytes) -> Answer:
    if _PAYLOAD_ROOT.search(body) is None:
        return _NOT_OPENADR
    child = _SIGNED_OBJECT_CHILD.search(body)
    if child is None:
        return _NOT_OPENADR
    code = _RESPONSE_CODE.search(body, child.end())
    return Answer(message_type=child.group(1).decode(), response_code=code.group(1).decode() if code else None)


def granted_ven_id(body: bytes) -> str | None:
    """The venID in an oadrCreatedPartyRegistration that accepted the VEN, or None if it did not."""
    try:
        root = etree.fromstring(body, _PARSER)
    except etree.XMLSyntaxError:
        return None
    ven_id: str | None = root.findtext(f".//{{{_EI_NS}}}venID")
    if ven_id is None or not ven_id.strip():
        return None
    return ven_id.strip()
