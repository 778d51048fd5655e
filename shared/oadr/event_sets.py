"""One event set shared by many VENs, and each VEN's oadrDistributeEvent made from it.

Two VENs that get the same events with the same groups, resources and parties in their eiTargets get the
same oadrDistributeEvent but for two values: the venID in each event's eiTarget (a VEN's set names it,
event_svc.delivery) and the message's requestID. A `SharedEventSet` holds the events once, without the venID,
and makes each VEN's message from them. `message_json` splices the two values into a JSON text made once, so
queueing a set for a thousand VENs costs one serialization, not a thousand; the gateway does the same with
the XML document (shared.oadr_xml.event_sets).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cached_property

from shared.marked_text import MarkedText
from shared.oadr.event import DistributeEvent, Event

# Marks where the per-VEN values go: private-use characters, which no OpenADR document carries by design.
VEN_MARK = "\ue000venID\ue000"
REQUEST_MARK = "\ue000requestID\ue000"
MARKS = {"ven": VEN_MARK, "request": REQUEST_MARK}


def for_ven(events: tuple[Event, ...], ven_id: str) -> tuple[Event, ...]:
    """The events as `ven_id` gets them: its venID the only one in each eiTarget."""
    return tuple(
        event.model_copy(update={"targets": event.targets.model_copy(update={"ven_ids": (ven_id,)})})
        for event in events
    )


@dataclass(frozen=True)
class SharedEventSet:
    """Events in delivery order, as each of the VENs sharing them gets them less its own venID."""

    vtn_id: str
    events: tuple[Event, ...]

    def message(self, ven_id: str, request_id: str) -> DistributeEvent:
        return DistributeEvent(request_id=request_id, vtn_id=self.vtn_id, events=for_ven(self.events, ven_id))

    def message_json(self, ven_id: str, request_id: str) -> str:
        """`message(ven_id, request_id)` as JSON, spliced into the text made once (equal once parsed)."""
        if self._json is None:
            return self.message(ven_id, request_id).model_dump_json()
        return self._json.fill({"ven": _json_string(ven_id), "request": _json_string(request_id)})

    @cached_property
    def set_id(self) -> str:
        """Names the set's content (events and vtnID): equal ids, equal documents for every VEN."""
        return hashlib.sha256(self._marked_json.encode()).hexdigest()

    @cached_property
    def _marked_json(self) -> str:
        return self.message(VEN_MARK, REQUEST_MARK).model_dump_json()

    @cached_property
    def _json(self) -> MarkedText | None:
        return MarkedText.cut(self._marked_json, MARKS, {"ven": len(self.events), "request": 1})


def _json_string(value: str) -> str:
    """`value` as the inside of a JSON string literal (most venIDs and requestIDs need no escaping)."""
    return value if plain_json(value) else json.dumps(value, ensure_ascii=False)[1:-1]


def plain_json(value: str) -> bool:
    """Whether `value` is written unchanged inside a JSON string literal: printable ASCII but quote and
    backslash."""
    return value.isascii() and value.isprintable() and '"' not in value and "\\" not in value
