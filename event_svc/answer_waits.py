"""Which events of a VEN's set still await its answer (pure).

A VEN must answer every event whose oadrResponseRequired is `always` with oadrCreatedEvent, naming the
event's modificationNumber. When the poll answer that carried its set was lost, that answer never comes and
the VEN does not know about the event (or its modification, or its cancellation): the set is then sent again
(shared.awaited_replies decides when). An event that is over (completed) awaits nothing any more.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

from shared.awaited_replies import Awaiting
from shared.oadr.event import Event, EventStatus, ResponseRequired


def unanswered(events: Iterable[Event], answered: Mapping[str, int]) -> list[str]:
    """The eventIDs in `events` (a VEN's set as it gets it) that await the VEN's answer; `answered`: eventID ->
    the modificationNumber of the VEN's stored answer."""
    return [
        event.descriptor.event_id
        for event in events
        if event.response_required == ResponseRequired.ALWAYS
        and event.descriptor.event_status != EventStatus.COMPLETED
        and answered.get(event.descriptor.event_id) != event.descriptor.modification_number
    ]


def set_awaiting(unanswered_ids: Sequence[str] | None, sent_at: datetime | None, resends: int) -> Awaiting:
    """A set that went out at `sent_at` (None: still queued), sent again `resends` times, in which the events
    `unanswered_ids` await the VEN's answer (None: not known yet, so still awaited)."""
    return Awaiting(confirmed=unanswered_ids is not None and not unanswered_ids, reply_due=sent_at, resends=resends)
