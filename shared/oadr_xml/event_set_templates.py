"""oadrDistributeEvent for many VENs, rendered once per distinct set and then filled in per VEN.

An event created, modified or cancelled for thousands of VENs gives each the same set but for two values:
the requestID of its oadrDistributeEvent, and its own venID in each event's eiTarget (event_svc.delivery
names the VEN there). A set is rendered once with markers in their place; each VEN's document is that
template with its values put in, byte for byte what the renderer writes for the VEN's own set
(tests/shared/oadr_xml/test_event_set_templates.py holds them to it). A set whose targets differ otherwise
(groups, resources) gets a template of its own; values that are not plain printable ASCII without markup
characters are left to the renderer. Rendering a set's tree was most of a push's CPU.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Callable

from shared.oadr.event import DistributeEvent
from shared.oadr.messages import VtnMessage

_PLAIN = re.compile(r"[\x20-\x25\x27-\x3b\x3d\x3f\x41-\x7e]*")  # printable ASCII but & < > @
_REQUEST = "@@request@@"
_VEN = "@@ven@@"
_MARKER = re.compile(r"(@@request@@|@@ven@@)")
MAX_TEMPLATES = 64


class EventSetTemplates:
    def __init__(self, render: Callable[[VtnMessage], bytes], max_templates: int = MAX_TEMPLATES) -> None:
        self._render = render
        self._max = max_templates
        self._templates: OrderedDict[str, tuple[str, ...] | None] = OrderedDict()

    def encode(self, message: DistributeEvent) -> bytes | None:
        """The unsigned document of `message` from its set's template; None when no template fits."""
        ven_id = _the_ven(message)
        if not _PLAIN.fullmatch(message.request_id) or (ven_id is not None and not _PLAIN.fullmatch(ven_id)):
            return None
        key = _key(message, ven_id)
        if key is None:
            return None
        if key in self._templates:
            self._templates.move_to_end(key)
            parts = self._templates[key]
        else:
            parts = self._template(_shape(message, ven_id), ven_id is not None)
            self._templates[key] = parts
            if len(self._templates) > self._max:
                self._templates.popitem(last=False)
        if parts is None:
            return None
        values = {_REQUEST: message.request_id, _VEN: ven_id or ""}
        return "".join(values[part] if index % 2 else part for index, part in enumerate(parts)).encode()


    def _template(self, shape: DistributeEvent, with_ven: bool) -> tuple[str, ...] | None:
        """The rendered set split at its markers (text, value, text, ...); None when the content itself holds a
        marker, so that the template could not tell them apart."""
        parts = tuple(_MARKER.split(self._render(shape).decode()))
        values = parts[1::2]
        if values.count(_REQUEST) != 1 or values.count(_VEN) != (len(shape.events) if with_ven else 0):
            return None
        return parts


def _the_ven(message: DistributeEvent) -> str | None:
    """The one venID every event of the set names as its only venID target (None: not such a set)."""
    named = {event.targets.ven_ids for event in message.events}
    if len(named) == 1:
        (ven_ids,) = named
        if len(ven_ids) == 1:
            return ven_ids[0]
    return None


def _key(message: DistributeEvent, ven_id: str | None) -> str | None:
    """The set's JSON with markers for its two values: equal keys, equal shapes. Only when each value appears
    in the JSON exactly where the shape puts a marker (once for the requestID, once per event for the venID),
    so that the text replacement is the structural one; None otherwise (the renderer does the set)."""
    dumped = message.model_dump_json()
    request, ven = f'"{message.request_id}"', f'"{ven_id}"'
    if dumped.count(request) != 1 or (ven_id is not None and (ven == request or dumped.count(ven) != len(message.events))):
        return None
    key = dumped.replace(request, f'"{_REQUEST}"')
    return key.replace(ven, f'"{_VEN}"') if ven_id is not None else key


def _shape(message: DistributeEvent, ven_id: str | None) -> DistributeEvent:
    """The set with markers in place of its requestID and (when there is one) the VEN's venID."""
    events = message.events
    if ven_id is not None:
        events = tuple(
            event.model_copy(update={"targets": event.targets.model_copy(update={"ven_ids": (_VEN,)})})
            for event in events
        )
    return message.model_copy(update={"request_id": _REQUEST, "events": events})
