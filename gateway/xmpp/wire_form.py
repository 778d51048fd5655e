"""OpenADR documents as they travel in XMPP stanzas: the XMPP form. Pure: no I/O.

An OpenADR payload travels as the child element of an IQ stanza. XMPP servers do not pass a stanza's bytes
through: they parse it and write it anew, and namespace prefixes do not survive (Prosody writes every
element with a default namespace declaration where its namespace changes, and every namespaced attribute
with a prefix declared on its own element). An XML signature covers canonical bytes, prefixes included,
so a document signed as `<oadr:oadrSignedObject ...>` no longer verifies once the server has rewritten it.

The XMPP form is that rewriting done by the sender before it signs: no element prefixes, each element in
its namespace by a default declaration, each namespaced attribute with a prefix `ns1`, `ns2`... declared on
its own element. A server's rewriting leaves it as it is (up to what canonicalization ignores: attribute
order, quotes, redundant declarations), so a signature made over it verifies at the other end. The VTN
writes what it sends in this form and signs it so (gateway.security.signatures, prefixed=False); its VENs sign theirs
so too (docs/xmpp.md). A received payload is read back into the same form (`document_of`) before it goes
through the gateway's decoding, schema and signature checks, byte for byte the HTTP path.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from lxml import etree

from shared.oadr_xml.namespaces import OADR
from shared.oadr_xml.parser import parse_document

PAYLOAD_TAG = f"{{{OADR}}}oadrPayload"
_PREFIX = "ns"


def _namespace_of(tag: str) -> str | None:
    return tag[1:].split("}", 1)[0] if tag.startswith("{") else None


def _copy(source: ET.Element | etree._Element, parent: etree._Element | None) -> etree._Element:
    tag = str(source.tag)
    nsmap: dict[str | None, str] = {}
    namespace = _namespace_of(tag)
    if namespace is not None:
        nsmap[None] = namespace
    attributes: list[tuple[str, str]] = []
    for name, value in source.attrib.items():
        name = str(name)
        attribute_namespace = _namespace_of(name)
        if attribute_namespace is not None:  # as XMPP servers write it: ns1, ns2... on the element itself
            nsmap[f"{_PREFIX}{sum(1 for key in nsmap if key is not None) + 1}"] = attribute_namespace
        attributes.append((name, str(value)))
    element = etree.Element(tag, nsmap=nsmap) if parent is None else etree.SubElement(parent, tag, nsmap=nsmap)
    for name, value in attributes:
        element.set(name, value)
    element.text = source.text
    for child in source:
        if not isinstance(child.tag, str):
            continue  # comments and processing instructions are not part of an OpenADR document
        copied = _copy(child, element)
        copied.tail = child.tail
    return element


def xmpp_form(document: bytes) -> bytes:
    """The document (an oadrPayload) in the XMPP form, without an XML declaration."""
    return _serialize(_copy(parse_document(document), None))


def document_of(payload: ET.Element) -> bytes:
    """A received oadrPayload element (as the XMPP library parsed it) as a document in the XMPP form."""
    return _serialize(_copy(payload, None))


def element_of(document: bytes) -> ET.Element:
    """A document to place in a stanza (the XMPP library writes elements, not bytes)."""
    return ET.fromstring(document)


def _serialize(root: etree._Element) -> bytes:
    serialized: bytes = etree.tostring(root, encoding="utf-8", xml_declaration=False)
    return serialized
