"""oadrDistributeEvent documents of a set shared by many VENs (shared.oadr.event_sets), the set rendered once.

The set is rendered with marks where the venID and the requestID go; each VEN's document is then a string
join, byte for byte what rendering the VEN's own message gives (tests/shared/oadr_xml/test_event_sets.py
holds it to that). `document(set_id, shared, ven_id, request_id)` is what the gateway answers a poll with, and what
anything else that sends sets to VENs (a push to a VEN's endpoint) can use: signing, when on, still
happens per document. Renderings are kept for the sets last used, by the set's id (`shared.set_id`, which a
notice carries ready-made).
"""

from __future__ import annotations

from collections import OrderedDict

from shared.marked_text import MarkedText
from shared.oadr.event_sets import MARKS, REQUEST_MARK, VEN_MARK, SharedEventSet
from shared.oadr_xml.codec import encode

SETS_KEPT = 256


def _text(value: str) -> str:
    """`value` as element text, escaped as lxml writes it."""
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")


def marked_document(shared: SharedEventSet) -> MarkedText | None:
    """The set's document cut at its marks; None when its content holds a mark (then render per VEN)."""
    rendered = encode(shared.message(VEN_MARK, REQUEST_MARK)).decode()
    return MarkedText.cut(rendered, MARKS, {"ven": len(shared.events), "request": 1})


class SetDocuments:
    """Each VEN's oadrDistributeEvent document of a shared set, from one rendering per set."""

    def __init__(self, sets_kept: int = SETS_KEPT) -> None:
        self._sets_kept = sets_kept
        self._rendered: OrderedDict[str, MarkedText | None] = OrderedDict()

    def document(self, set_id: str, shared: SharedEventSet, ven_id: str, request_id: str) -> bytes:
        """The unsigned document `encode(shared.message(ven_id, request_id))` would give; `set_id` is
        `shared.set_id`."""
        marked = self._marked(set_id, shared)
        if marked is None:
            return encode(shared.message(ven_id, request_id))
        return marked.fill({"ven": _text(ven_id), "request": _text(request_id)}).encode()

    def _marked(self, key: str, shared: SharedEventSet) -> MarkedText | None:
        if key in self._rendered:
            self._rendered.move_to_end(key)
            return self._rendered[key]
        marked = self._rendered[key] = marked_document(shared)
        if len(self._rendered) > self._sets_kept:
            self._rendered.popitem(last=False)
        return marked
