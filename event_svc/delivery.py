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
from shared.oadr.event import Event
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


TargetParts = tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]  # groupIDs, resourceIDs, partyIDs


def target_parts(ven: Membership, targets: Target, by_ven_id: bool) -> TargetParts | None:
    """The groups, resources and parties of the eiTarget this VEN gets for an event with `targets`
    (`by_ven_id`: whether `targets` names the VEN), or None if the event is not for it."""
    if not (targets.group_ids or targets.party_ids or targets.resource_ids):  # by venID only: the common case
        return ((), (), ()) if by_ven_id else None
    groups = tuple(g for g in targets.group_ids if g in ven.group_ids)
    parties = tuple(p for p in targets.party_ids if p in ven.party_ids)
    resources = tuple(r for r in targets.resource_ids if r in ven.resource_ids)
    if not (by_ven_id or groups or parties or resources):
        return None
    if by_ven_id and not resources:
        # Named by venID: the event's resourceIDs narrow it to those of the VEN's resources.
        resources = targets.resource_ids
    return groups, resources, parties


def shared_target(ven: Membership, targets: Target) -> Target | None:
    """The eiTarget this VEN gets for an event with `targets`, less its own venID (which `target_for` adds),
    or None if the event is not for it."""
    parts = target_parts(ven, targets, ven.ven_id in targets.ven_ids)
    if parts is None:
        return None
    groups, resources, parties = parts
    return Target(
        group_ids=groups, resource_ids=resources, party_ids=parties, end_device_assets=targets.end_device_assets
    )


def target_for(ven: Membership, targets: Target) -> Target | None:
    """The eiTarget this VEN gets for an event with `targets`, or None if the event is not for it."""
    shared = shared_target(ven, targets)
    return None if shared is None else shared.model_copy(update={"ven_ids": (ven.ven_id,)})


def at_clock(stored: StoredEvent, now: datetime) -> Event:
    """The event with the eventStatus and each signal's currentValue of `now`, targets as stored."""
    event = stored.event
    status = status_at(event.active_period, stored.cancelled, now)
    signals = tuple(
        signal.model_copy(update={"current_value": current_value(event.active_period, signal, status, now)})
        for signal in event.signals
    )
    descriptor = event.descriptor.model_copy(update={"event_status": status})
    return event.model_copy(update={"descriptor": descriptor, "signals": signals})


def render(stored: StoredEvent, ven: Membership, now: datetime) -> Event | None:
    """The event as this VEN gets it at `now`, or None if it is not for this VEN."""
    target = target_for(ven, stored.event.targets)
    if target is None:
        return None
    return at_clock(stored, now).model_copy(update={"targets": target})


def delivery_order(event: Event) -> tuple[int, datetime, str]:
    priority = event.descriptor.priority
    return (priority if priority else LEAST_IMPORTANT, event.active_period.dtstart, event.descriptor.event_id)


def full_set(stored: Iterable[StoredEvent], ven: Membership, now: datetime) -> tuple[Event, ...]:
    rendered = (render(s, ven, now) for s in stored)
    return tuple(sorted((e for e in rendered if e is not None), key=delivery_order))


@dataclass(frozen=True)
class SetUpdate:
    """What to do with a VEN's freshly worked-out set, given the digest and version last queued."""

    ven_id: str
    digest: str
    version: int
    queue: bool  # queue it (as version `version`), replacing any older set the VEN has not fetched
    save: bool  # remember `digest` and `version` as the last queued


def update_for(
    ven_id: str, new_digest: str, has_events: bool, last_digest: str | None, last_version: int, *, force: bool = False
) -> SetUpdate:
    """What to do with a set of digest `new_digest`. An unchanged set is not queued again, except with `force`
    (a VEN that registered again and lost its state) when it holds events; an empty first set is only
    remembered: there is nothing to tell the VEN."""
    if last_digest == new_digest and not (force and has_events):
        return SetUpdate(ven_id, new_digest, last_version, queue=False, save=False)
    if last_digest is None and not has_events:
        return SetUpdate(ven_id, new_digest, last_version, queue=False, save=True)
    return SetUpdate(ven_id, new_digest, last_version + 1, queue=True, save=True)


def limited(events: tuple[Event, ...], reply_limit: int | None) -> tuple[Event, ...]:
    """At most `reply_limit` events (the most important first); no limit when absent or 0."""
    return events[:reply_limit] if reply_limit else events


def digest(events: tuple[Event, ...]) -> str:
    """Fingerprint of a set as the VEN sees it: equal digests, nothing to re-send."""
    return hashlib.sha256(digest_document(events).encode()).hexdigest()


def digest_document(events: tuple[Event, ...]) -> str:
    """The text a set's digest is the SHA-256 of."""
    return json.dumps([e.model_dump(mode="json") for e in events], sort_keys=True, separators=(",", ":"))
