"""What a VEN receives: its full current set of events, as of a given instant, and whether that set changed.

Pure: no I/O. Certification rules this module enforces on every oadrDistributeEvent:
- the set is complete, not a delta (an event left out counts as cancelled by the VEN);
- events are ordered by priority (1 is the most important; 0 or none is the least), then start time;
- eventStatus and each signal's currentValue agree with the clock (event_svc.status);
- every event carries an eiTarget matching the VEN (its venID, plus the groups, resources and parties of
  the event that the VEN belongs to).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from event_svc.status import current_value, status_at
from shared.oadr.event import DistributeEvent, Event
from shared.oadr.target import Target

LEAST_IMPORTANT = 2**33


@dataclass(frozen=True)
class Membership:
    """A VEN and what it belongs to, for targeting."""

    ven_id: str
    group_ids: frozenset[str] = field(default_factory=frozenset)
    resource_ids: frozenset[str] = field(default_factory=frozenset)
    party_ids: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class StoredEvent:
    """An event as stored: its last version and whether it was cancelled."""

    event: Event
    cancelled: bool = False


def target_for(ven: Membership, targets: Target) -> Target | None:
    """The eiTarget this VEN gets for an event with `targets`, or None if the event is not for it."""
    groups = tuple(g for g in targets.group_ids if g in ven.group_ids)
    parties = tuple(p for p in targets.party_ids if p in ven.party_ids)
    resources = tuple(r for r in targets.resource_ids if r in ven.resource_ids)
    by_ven_id = ven.ven_id in targets.ven_ids
    if not (by_ven_id or groups or parties or resources):
        return None
    if by_ven_id and not resources:
        # Named by venID: the event's resourceIDs narrow it to those of the VEN's resources.
        resources = targets.resource_ids
    return Target(
        ven_ids=(ven.ven_id,),
        group_ids=groups,
        resource_ids=resources,
        party_ids=parties,
        end_device_assets=targets.end_device_assets,
    )


def render(stored: StoredEvent, ven: Membership, now: datetime) -> Event | None:
    """The event as this VEN gets it at `now`, or None if it is not for this VEN."""
    event = stored.event
    target = target_for(ven, event.targets)
    if target is None:
        return None
    status = status_at(event.active_period, stored.cancelled, now)
    signals = tuple(
        signal.model_copy(update={"current_value": current_value(event.active_period, signal, status, now)})
        for signal in event.signals
    )
    descriptor = event.descriptor.model_copy(update={"event_status": status})
    return event.model_copy(update={"descriptor": descriptor, "signals": signals, "targets": target})


def delivery_order(event: Event) -> tuple[int, datetime, str]:
    priority = event.descriptor.priority
    return (priority if priority else LEAST_IMPORTANT, event.active_period.dtstart, event.descriptor.event_id)


def full_set(stored: Iterable[StoredEvent], ven: Membership, now: datetime) -> tuple[Event, ...]:
    rendered = (render(s, ven, now) for s in stored)
    return tuple(sorted((e for e in rendered if e is not None), key=delivery_order))


@dataclass(frozen=True)
class Audience:
    """Whom an event's targets reach, as sets: one event checked against many VENs cheaply."""

    ven_ids: frozenset[str]
    group_ids: frozenset[str]
    resource_ids: frozenset[str]
    party_ids: frozenset[str]

    @classmethod
    def of(cls, targets: Target) -> Audience:
        return cls(
            frozenset(targets.ven_ids),
            frozenset(targets.group_ids),
            frozenset(targets.resource_ids),
            frozenset(targets.party_ids),
        )

    def reaches(self, ven: Membership) -> bool:
        return (
            ven.ven_id in self.ven_ids
            or not self.group_ids.isdisjoint(ven.group_ids)
            or not self.resource_ids.isdisjoint(ven.resource_ids)
            or not self.party_ids.isdisjoint(ven.party_ids)
        )


def full_sets(stored: Iterable[StoredEvent], vens: Iterable[Membership], now: datetime) -> dict[str, tuple[Event, ...]]:
    """`full_set` for many VENs at once, each event's audience worked out once."""
    indexed = [(s, Audience.of(s.event.targets)) for s in stored]
    return {ven.ven_id: full_set((s for s, audience in indexed if audience.reaches(ven)), ven, now) for ven in vens}


@dataclass(frozen=True)
class SetUpdate:
    """What to do with a VEN's freshly worked-out set, given the digest and version last queued."""

    ven_id: str
    events: tuple[Event, ...]
    digest: str
    version: int
    queue: bool  # queue it (as version `version`), replacing any older set the VEN has not fetched
    save: bool  # remember `digest` and `version` as the last queued


def update_for(
    ven_id: str, events: tuple[Event, ...], last_digest: str | None, last_version: int, *, force: bool = False
) -> SetUpdate:
    """An unchanged set is not queued again, except with `force` (a VEN that registered again and lost its
    state) when it holds events; an empty first set is only remembered: there is nothing to tell the VEN."""
    new_digest = digest(events)
    if last_digest == new_digest and not (force and events):
        return SetUpdate(ven_id, events, new_digest, last_version, queue=False, save=False)
    if last_digest is None and not events:
        return SetUpdate(ven_id, events, new_digest, last_version, queue=False, save=True)
    return SetUpdate(ven_id, events, new_digest, last_version + 1, queue=True, save=True)


def limited(events: tuple[Event, ...], reply_limit: int | None) -> tuple[Event, ...]:
    """At most `reply_limit` events (the most important first); no limit when absent or 0."""
    return events[:reply_limit] if reply_limit else events


def digest(events: tuple[Event, ...]) -> str:
    """Fingerprint of a set as the VEN sees it: equal digests, nothing to re-send."""
    document = json.dumps([e.model_dump(mode="json") for e in events], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(document.encode()).hexdigest()


def distribute(events: tuple[Event, ...], request_id: str, vtn_id: str) -> DistributeEvent:
    return DistributeEvent(request_id=request_id, vtn_id=vtn_id, events=events)
