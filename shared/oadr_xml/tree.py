"""Small helpers to read and build lxml trees with qualified names."""

from __future__ import annotations

from typing import TypeAlias

from lxml import etree

from shared.oadr_xml.errors import SchemaViolation


class Children:
    """An element's children grouped by tag, gathered in one pass.

    For a parser that reads most children of an element (oadrReport, ei:interval, oadrReportPayload), one
    pass is cheaper than searching the children once per lookup: it halved mapping an oadrUpdateReport.
    Every helper below takes either an element or its Children.
    """

    __slots__ = ("element", "_by_tag")

    def __init__(self, element: etree._Element) -> None:
        self.element = element
        by_tag: dict[object, list[etree._Element]] = {}
        for found in element:
            by_tag.setdefault(found.tag, []).append(found)
        self._by_tag = by_tag

    def first(self, qname: str) -> etree._Element | None:
        found = self._by_tag.get(qname)
        return found[0] if found else None

    def every(self, qname: str) -> list[etree._Element]:
        """Every child `qname`, in document order."""
        return self._by_tag.get(qname, [])


Parent: TypeAlias = "etree._Element | Children"


def child(parent: Parent, qname: str) -> etree._Element | None:
    """The first child `qname`. (lxml's iterchildren filters by tag in C; `find` parses a path each call,
    which made looking up children a third of decoding an oadrUpdateReport.)"""
    if isinstance(parent, Children):
        return parent.first(qname)
    return next(parent.iterchildren(qname), None)


def _local_name(parent: Parent) -> str:
    element = parent.element if isinstance(parent, Children) else parent
    name: str = etree.QName(element).localname
    return name


def required_child(parent: Parent, qname: str) -> etree._Element:
    found = child(parent, qname)
    if found is None:
        raise SchemaViolation(f"{_local_name(parent)} lacks {etree.QName(qname).localname}")
    return found


def text_of(parent: Parent, qname: str) -> str | None:
    """The stripped text of the first child `qname`, or None when the child is absent."""
    found = child(parent, qname)
    if found is None:
        return None
    return (found.text or "").strip()


def required_text(parent: Parent, qname: str) -> str:
    value = text_of(parent, qname)
    if value is None:
        raise SchemaViolation(f"{_local_name(parent)} lacks {etree.QName(qname).localname}")
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


def optional_text(parent: Parent, qname: str) -> str | None:
    """Text of an optional child; an empty element (`<ei:venID/>`) counts as absent, as VENs send both."""
    return text_of(parent, qname) or None
