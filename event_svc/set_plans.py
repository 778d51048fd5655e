"""Many VENs' full sets worked out at once, each distinct set once (pure: no I/O).

An event for a thousand VENs named by venID gives them all the same set but for their own venID in each
eiTarget (event_svc.delivery). So VENs are grouped by what their set holds: which events, and which of each
event's groups, resources and parties they belong to. Each distinct set is made once, as a
`SharedEventSet`, with each event's status and currentValue worked out once; each VEN's digest is spliced
from a text made once per set. The work grows with the VENs reached and the distinct sets, not with
VENs x events: an event is matched to the VENs it names and to the members of its groups, resources and
parties through an index, not checked against every VEN.

`SetPlan.events_for(ven_id)` equals `delivery.full_set(...)` for that VEN, and `SetPlan.digest(ven_id)`
equals `delivery.digest` of it (tests/event_svc/test_set_plans.py holds them to it).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property

from event_svc.delivery import (
    Membership,
    StoredEvent,
    at_clock,
    delivery_order,
    digest,
    digest_document,
    target_parts,
)
from shared.marked_text import MarkedText
from shared.oadr.event import Event
from shared.oadr.event_sets import VEN_MARK, SharedEventSet, for_ven, plain_json
from shared.oadr.target import Target

# What a VEN's set holds: per event it gets (by delivery order), the groups, resources and parties of its eiTarget.
Held = tuple[int, tuple[str, ...], tuple[str, ...], tuple[str, ...]]
SetKey = tuple[Held, ...]


@dataclass(frozen=True)
class PlannedSet:
    """One distinct set and the digest text its VENs' digests are spliced from."""

    shared: SharedEventSet

    @cached_property
    def _digest_text(self) -> MarkedText | None:
        document = digest_document(for_ven(self.shared.events, VEN_MARK))
        return MarkedText.cut(document, {"ven": _ascii_json(VEN_MARK)}, {"ven": len(self.shared.events)})

    def digest(self, ven_id: str) -> str:
        """`delivery.digest` of the set as `ven_id` gets it."""
        if self._digest_text is None:
            return digest(for_ven(self.shared.events, ven_id))
        return hashlib.sha256(self._digest_text.fill({"ven": _ascii_json(ven_id)}).encode()).hexdigest()


@dataclass(frozen=True)
class SetPlan:
    """Each VEN's set, as an index into the distinct sets."""

    sets: tuple[PlannedSet, ...]
    set_of: dict[str, int]

    def shared_set(self, ven_id: str) -> SharedEventSet:
        return self.sets[self.set_of[ven_id]].shared

    def events_for(self, ven_id: str) -> tuple[Event, ...]:
        return for_ven(self.shared_set(ven_id).events, ven_id)

    def digest(self, ven_id: str) -> str:
        return self.sets[self.set_of[ven_id]].digest(ven_id)


@dataclass
class _MembersIndex:
    """The VENs of one batch by venID and by each group, resource and party they belong to."""

    vens: dict[str, Membership]
    by_group: dict[str, list[str]] = field(default_factory=dict)
    by_resource: dict[str, list[str]] = field(default_factory=dict)
    by_party: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def of(cls, vens: Iterable[Membership]) -> _MembersIndex:
        index = cls({ven.ven_id: ven for ven in vens})
        for ven in index.vens.values():
            if not (ven.group_ids or ven.resource_ids or ven.party_ids):
                continue
            for kind, members in (
                (index.by_group, ven.group_ids),
                (index.by_resource, ven.resource_ids),
                (index.by_party, ven.party_ids),
            ):
                for member_id in members:
                    kind.setdefault(member_id, []).append(ven.ven_id)
        return index

    def candidates(self, targets: Target) -> tuple[set[str], frozenset[str]]:
        """The VENs `targets` may reach: those it names (also returned apart), and the members of its groups,
        resources and parties."""
        if len(targets.ven_ids) <= len(self.vens):
            named = frozenset(ven_id for ven_id in targets.ven_ids if ven_id in self.vens)
        else:
            all_named = frozenset(targets.ven_ids)
            named = frozenset(ven_id for ven_id in self.vens if ven_id in all_named)
        found = set(named)
        for kind, member_ids in (
            (self.by_group, targets.group_ids),
            (self.by_resource, targets.resource_ids),
            (self.by_party, targets.party_ids),
        ):
            for member_id in member_ids:
                found.update(kind.get(member_id, ()))
        return found, named


def plan_sets(stored: Iterable[StoredEvent], vens: Sequence[Membership], now: datetime, vtn_id: str) -> SetPlan:
    """The full set of each of `vens` at `now` out of the events `stored` (those not for a VEN are left out)."""
    ordered = sorted(stored, key=lambda s: delivery_order(s.event))
    index = _MembersIndex.of(vens)
    holds: dict[str, list[Held]] = {v.ven_id: [] for v in vens}
    for position, candidate in enumerate(ordered):
        targets = candidate.event.targets
        found, named = index.candidates(targets)
        for ven_id in found:
            parts = target_parts(index.vens[ven_id], targets, ven_id in named)
            if parts is not None:
                holds[ven_id].append((position, *parts))
    clocked: dict[int, Event] = {}
    keys: dict[SetKey, int] = {}
    sets: list[PlannedSet] = []
    set_of: dict[str, int] = {}
    for ven in vens:
        key: SetKey = tuple(holds[ven.ven_id])
        number = keys.get(key)
        if number is None:
            number = keys[key] = len(sets)
            sets.append(PlannedSet(SharedEventSet(vtn_id, _events(key, ordered, clocked, now))))
        set_of[ven.ven_id] = number
    return SetPlan(tuple(sets), set_of)


def _events(key: SetKey, ordered: list[StoredEvent], clocked: dict[int, Event], now: datetime) -> tuple[Event, ...]:
    """The events of one distinct set, each event's clock-dependent parts worked out once for all sets."""
    events = []
    for position, groups, resources, parties in key:
        event = clocked.get(position)
        if event is None:
            event = clocked[position] = at_clock(ordered[position], now)
        target = Target(
            group_ids=groups,
            resource_ids=resources,
            party_ids=parties,
            end_device_assets=event.targets.end_device_assets,
        )
        events.append(event.model_copy(update={"targets": target}))
    return tuple(events)


def _ascii_json(value: str) -> str:
    """`value` as the inside of a JSON string literal, as json.dumps writes it by default."""
    return value if plain_json(value) else json.dumps(value)[1:-1]
