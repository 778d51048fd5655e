"""oadrDistributeEvent documents of a set shared by many VENs (shared.oadr.event_sets), the set rendered once.

The set is rendered with marks where the venID and the requestID go; each VEN's document is then a string
join, byte for byte what rendering the VEN's own message gives (tests/shared/oadr_xml/test_event_sets.py
holds it to that). This is the one way the VTN writes event sets:

- `document(set_id, shared, ven_id, request_id)`: a copy of a set whose id a notice carries ready-made (the
  gateway's handouts of one set to many VENs);
- `copy(shared, ven_id, request_id)`: a VEN's copy of a set its caller holds (the pusher's head reads parse
  each stored set once for all the VENs that share it);
- `encode(message)`: any oadrDistributeEvent for one VEN (shared.oadr_xml.codec.encode sends them here, so
  a forwarded poll's answer and a push to a VEN's endpoint take the same path), its set found by content.

Signing, when on, still happens per document. Renderings are kept for the sets last used, by the set's id
(`shared.set_id`).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable

from shared.marked_text import MarkedText
from shared.oadr.event import DistributeEvent
from shared.oadr.event_sets import MARKS, REQUEST_MARK, VEN_MARK, SharedEventSet
from shared.oadr.messages import VtnMessage

Render = Callable[[VtnMessage], bytes]

SETS_KEPT = 256


def _text(value: str) -> str:
    """`value` as element text, escaped as lxml writes it."""
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")


def marked_document(shared: SharedEventSet, render: Render) -> MarkedText | None:
    """The set's document cut at its marks; None when its content holds a mark (then render per VEN)."""
    rendered = render(shared.message(VEN_MARK, REQUEST_MARK)).decode()
    return MarkedText.cut(rendered, MARKS, {"ven": len(shared.events), "request": 1})


class SetDocuments:
    """Each VEN's oadrDistributeEvent document of a shared set, from one rendering per set."""

    def __init__(self, render: Render, sets_kept: int = SETS_KEPT) -> None:
        self._render = render
        self._sets_kept = sets_kept
        self._rendered: OrderedDict[str, MarkedText | None] = OrderedDict()

    def document(self, set_id: str, shared: SharedEventSet, ven_id: str, request_id: str) -> bytes:
        """The unsigned document rendering `shared.message(ven_id, request_id)` gives; `set_id` is
        `shared.set_id`."""
        marked = self._marked(set_id, shared)
        if marked is None:
            return self._render(shared.message(ven_id, request_id))
        return marked.fill({"ven": _text(ven_id), "request": _text(request_id)}).encode()

    def copy(self, shared: SharedEventSet, ven_id: str, request_id: str) -> bytes:
        """The unsigned document of `shared.message(ven_id, request_id)`: what `encode` gives for that message,
        without working out again which set it is a copy of."""
        if not _fillable(ven_id, request_id):
            return self._render(shared.message(ven_id, request_id))
        return self.document(shared.set_id, shared, ven_id, request_id)

    def encode(self, message: DistributeEvent) -> bytes:
        """The unsigned document of one VEN's oadrDistributeEvent: from its set's rendering when it is a copy of
        a shared set (no response, every event naming the same single venID), else rendered as it is."""
        ven_id = _copy_of(message)
        if ven_id is None:
            return self._render(message)
        shared = SharedEventSet(message.vtn_id, message.events)
        return self.document(shared.set_id, shared, ven_id, message.request_id)

    def _marked(self, key: str, shared: SharedEventSet) -> MarkedText | None:
        if key in self._rendered:
            self._rendered.move_to_end(key)
            return self._rendered[key]
        marked = self._rendered[key] = marked_document(shared, self._render)
        if len(self._rendered) > self._sets_kept:
            self._rendered.popitem(last=False)
        return marked


def _copy_of(message: DistributeEvent) -> str | None:
    """The venID of which `message` is the copy of a shared set (`SharedEventSet.message`), "" for a copy of
    the empty set; None when it is not one, or holds values a fill would not write as the renderer does
    (characters that are not printable)."""
    named = {event.targets.ven_ids for event in message.events}
    if message.response is not None or len(named) > 1 or not _fillable(message.request_id):
        return None
    if not named:
        return ""
    (ven_ids,) = named
    if len(ven_ids) != 1 or not _fillable(ven_ids[0]):
        return None
    return ven_ids[0]


def _fillable(*values: str) -> bool:
    """Whether a fill writes `values` as the renderer does (printable characters only)."""
    return all(value.isprintable() for value in values)
