"""Which answers a VEN's event set awaits, and which of them are still missing (pure).

A VEN must answer every event whose oadrResponseRequired is `always` with oadrCreatedEvent, naming the
event's modificationNumber. When the poll answer that carried its set was lost, that answer never comes and
the VEN does not know about the event (or its modification, or its cancellation): the set is then sent again
(shared.awaited_replies decides when). What a set awaits is noted when it is queued, so a later look needs
only the VEN's stored answers; an event that is over (completed) awaits nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

from shared.awaited_replies import Awaiting
from shared.oadr.event import Event, EventStatus, ResponseRequired

Awaited = tuple[str, int]  # an eventID and the modificationNumber the VEN's answer must name


def awaited_answers(events: Iterable[Event]) -> list[Awaited]:
    """The answers a set (as the VEN gets it) awaits from the VEN."""
    return [
        (event.descriptor.event_id, event.descriptor.modification_number)
        for event in events
        if event.response_required == ResponseRequired.ALWAYS and event.descriptor.event_status != EventStatus.COMPLETED
    ]


def unanswered(awaited: Iterable[Awaited], answered: Mapping[str, int]) -> list[str]:
    """The eventIDs whose awaited answer is not the VEN's stored one; `answered`: eventID -> the
    modificationNumber of the VEN's stored answer."""
    return [event_id for event_id, modification in awaited if answered.get(event_id) != modification]


def set_awaiting(unanswered_ids: Sequence[str] | None, sent_at: datetime | None, resends: int) -> Awaiting:
    """A set that went out at `sent_at` (None: still queued), sent again `resends` times, in which the events
    `unanswered_ids` await the VEN's answer (None: not known yet, so still awaited)."""
    return Awaiting(confirmed=unanswered_ids is not None and not unanswered_ids, reply_due=sent_at, resends=resends)
