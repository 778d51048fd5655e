"""Small helpers to read and build lxml trees with qualified names."""

from __future__ import annotations

from lxml import etree

from shared.oadr_xml.errors import SchemaViolation


def child(parent: etree._Element, qname: str) -> etree._Element | None:
    """The first child `qname`. (lxml's iterchildren filters by tag in C; `find` parses a path each call,
    which made looking up children a third of decoding an oadrUpdateReport.)"""
    return next(parent.iterchildren(qname), None)


def required_child(parent: etree._Element, qname: str) -> etree._Element:
    found = child(parent, qname)
    if found is None:
        raise SchemaViolation(f"{etree.QName(parent).localname} lacks {etree.QName(qname).localname}")
    return found


def text_of(parent: etree._Element, qname: str) -> str | None:
    """The stripped text of the first child `qname`, or None when the child is absent."""
    found = child(parent, qname)
    if found is None:
        return None
    return (found.text or "").strip()


def required_text(parent: etree._Element, qname: str) -> str:
    value = text_of(parent, qname)
    if value is None:
        raise SchemaViolation(f"{etree.QName(parent).localname} lacks {etree.QName(qname).localname}")
    return value


def add(parent: etree._Element, qname: str, text: str | None = None) -> etree._Element:
    """Append a child element, with text when given, and return it."""
    element = etree.SubElement(parent, qname)
    if text is not None:
        element.text = text
    return element


def add_optional(parent: etree._Element, qname: str, text: str | None) -> etree._Element | None:
    """Append a child element only when `text` is not None."""
    if text is None:
        return None
    return add(parent, qname, text)


def texts_of(parent: etree._Element, qname: str) -> tuple[str, ...]:
    """The stripped texts of every child `qname`, in document order."""
    return tuple((found.text or "").strip() for found in parent.iterfind(qname))


def optional_text(parent: etree._Element, qname: str) -> str | None:
    """Text of an optional child; an empty element (`<ei:venID/>`) counts as absent, as VENs send both."""
    return text_of(parent, qname) or None
