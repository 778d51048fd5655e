"""One event set shared by many VENs, and each VEN's oadrDistributeEvent made from it.

Two VENs that get the same events with the same groups, resources and parties in their eiTargets get the
same oadrDistributeEvent but for two values: the venID in each event's eiTarget (a VEN's set names it,
event_svc.delivery) and the message's requestID. A `SharedEventSet` holds the events once, without the venID,
and makes each VEN's message from them. It is stored once, as `body_json`: a JSON text with marks where the
two values go, which `fill_body` (and shared.db.pending, in SQL) fills in for each VEN, so queueing a set for
a thousand VENs costs one serialization and one stored copy, not a thousand. The gateway does the same with
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

    @cached_property
    def set_id(self) -> str:
        """Names the set's content (events and vtnID): equal ids, equal documents for every VEN."""
        return hashlib.sha256(self._marked_json.encode()).hexdigest()

    @cached_property
    def body_json(self) -> str | None:
        """The message as JSON with a mark, as a whole JSON string, where each VEN's venID and requestID go
        (`fill_body` puts them in); None when the set's own content holds a mark, which a fill could not tell
        from the ones put there."""
        expected = {"ven": len(self.events), "request": 1}
        return self._marked_json if MarkedText.cut(self._marked_json, MARKS, expected) is not None else None

    @cached_property
    def _marked_json(self) -> str:
        return self.message(VEN_MARK, REQUEST_MARK).model_dump_json()


# A body's marks as they stand in its JSON: each a whole string (shared.db.pending fills them in SQL too).
VEN_MARK_JSON = json.dumps(VEN_MARK, ensure_ascii=False)
REQUEST_MARK_JSON = json.dumps(REQUEST_MARK, ensure_ascii=False)


def stored_set(body_json: str) -> SharedEventSet:
    """The set a stored `body_json` holds (its marks stand in the events' eiTargets): each VEN's message is then
    `message(ven_id, request_id)`, equal to parsing `fill_body(body_json, ven_id, request_id)`."""
    marked = DistributeEvent.model_validate_json(body_json)
    return SharedEventSet(marked.vtn_id, marked.events)


def fill_body(body_json: str, ven_id: str, request_id: str) -> str:
    """One VEN's message JSON from a set's `body_json`: its venID and requestID as JSON strings in the marks'
    places (equal, once parsed, to `message(ven_id, request_id)`)."""
    return body_json.replace(VEN_MARK_JSON, json.dumps(ven_id)).replace(REQUEST_MARK_JSON, json.dumps(request_id))


def plain_json(value: str) -> bool:
    """Whether `value` is written unchanged inside a JSON string literal: printable ASCII but quote and
    backslash."""
    return value.isascii() and value.isprintable() and '"' not in value and "\\" not in value
