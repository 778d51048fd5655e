"""A hardened lxml parser: no DTDs, no entities, no network, bounded trees."""

from __future__ import annotations

from lxml import etree

from shared.oadr_xml.errors import MalformedXml

_PARSER = etree.XMLParser(
    resolve_entities=False,
    no_network=True,
    load_dtd=False,
    dtd_validation=False,
    huge_tree=False,
    remove_comments=True,
    remove_pis=True,
    collect_ids=False,
)


def parse_document(body: bytes) -> etree._Element:
    """Parse bytes into an element tree, refusing anything with a DOCTYPE.

    A DOCTYPE is never needed by OpenADR and is the carrier of entity-expansion bombs and external
    entities (XXE), so it is refused outright rather than defused.
    """
    if not body.strip():
        raise MalformedXml("empty body")
    try:
        root = etree.fromstring(body, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise MalformedXml(f"not well-formed XML: {exc}") from None
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise MalformedXml("DOCTYPE declarations are not allowed")
    return root
