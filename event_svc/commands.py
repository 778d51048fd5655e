"""Event commands and queries from operators (admin API) and backends (Kafka): create (one event, or many
together, all or none), modify, cancel and purge events, set VEN memberships, list and get events and opts.

An event change is saved with a fan-out row in the same transaction and answered at once; event_svc.fanout
then queues the full set of every VEN it reaches (now or before the change), many changes at a time, so the
VENs get it on their next poll. A change of one VEN's memberships re-works that VEN's set in its own
transaction. A venID the VTN does not know (in new targets, a membership change or a query) is answered 404.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from event_svc import delivery, fanout_store, refresh, status, store
from event_svc.validation import InvalidEvent, profile_problems, unreachable, validate_event
from event_svc.views import event_view
from shared.contract.envelope import Envelope, utcnow
from shared.contract.events import (
    CancelEvent,
    CountEvents,
    CreateEvent,
    CreateEvents,
    EventCounts,
    EventOutcome,
    EventView,
    GetEvent,
    GetVenMemberships,
    ListEvents,
    ListOpts,
    MembershipView,
    ModifyEvent,
    OptView,
    PurgeEvent,
    SetVenMemberships,
)
from shared.db.connection import Conn
from shared.db.vens import unknown_vens
from shared.oadr.event import Event, EventDescriptor, EventStatus
from shared.oadr.profiles import traits_of
from shared.oadr.target import Target

log = logging.getLogger(__name__)

QUERIES = (GetEvent, ListEvents, ListOpts, GetVenMemberships, CountEvents)
# What a ModifyEvent may replace, in the event's descriptor and in the event itself (a field left out stays).
MODIFIABLE_DESCRIPTOR_FIELDS = ("priority", "test_event", "vtn_comment")
MODIFIABLE_EVENT_FIELDS = ("active_period", "signals", "baseline", "targets", "response_required")
STATUS_FILTER_SCAN = 10_000
NAMED_VENS = 10  # VENs named in a refusal, of however many
FINISHED = frozenset({EventStatus.COMPLETED, EventStatus.CANCELLED})


# An outcome above this size would not fit in one Kafka record (1 MiB by default) with its envelope.
OUTCOME_BYTES_MAX = 768 * 1024


@dataclass(frozen=True)
class EventConfig:
    outlet: refresh.SetOutlet
    retention: timedelta
    batch_max: int = 100  # events one CreateEvents may create, at most


class _BatchRefused(Exception):
    """One event of a CreateEvents cannot be created: the events saved before it are rolled back."""

    def __init__(self, outcome: EventOutcome) -> None:
        super().__init__(outcome.detail)
        self.outcome = outcome


class EventCommandHandler:
    """The state-changing commands, run inside the inbox transaction."""

    def __init__(self, config: EventConfig) -> None:
        self._config = config

    async def __call__(self, conn: Conn, envelope: Envelope) -> EventOutcome | None:
        command, now = envelope.payload, utcnow()
        if isinstance(command, CreateEvent):
            return await self._create(conn, command, now)
        if isinstance(command, CreateEvents):
            return await self._create_many(conn, command, now)
        if isinstance(command, ModifyEvent):
            return await self._modify(conn, command, now)
        if isinstance(command, CancelEvent):
            return await self._cancel(conn, command, now)
        if isinstance(command, PurgeEvent):
            return await self._purge(conn, command, now)
        if isinstance(command, SetVenMemberships):
            return await self._set_memberships(conn, command, now)
        return None

    async def _save(
        self,
        conn: Conn,
        stored: delivery.StoredEvent,
        now: datetime,
        previous: delivery.StoredEvent | None = None,
        *,
        new_targets: bool,
        fan_out: bool = True,
    ) -> EventOutcome:
        """Store a new version of the event (of `previous`, when it changes one); with `new_targets`, every venID
        it targets must be known (the targets of an existing version are not checked again, so cancelling
        always works). Without `fan_out` the caller notes the change for the fan-out itself."""
        event = stored.event
        try:
            validate_event(event.active_period, event.signals, event.baseline, event.targets)
        except InvalidEvent as invalid:
            return EventOutcome(status=422, detail=str(invalid))
        if new_targets and (unknown := await unknown_vens(conn, event.targets.ven_ids)) is not None:
            return EventOutcome(status=404, detail=unknown)
        if not stored.cancelled and (refusal := await _unreachable_vens(conn, event)) is not None:
            return refusal
        schedule = status.schedule(event, stored.cancelled, now, self._config.retention)
        named_before = previous.event.targets.ven_ids if previous is not None else None
        await store.save_event(conn, event, stored.cancelled, schedule, named_before=named_before)
        if fan_out:  # the VENs it reached before a change of targets get their sets too: the event left them
            await fanout_store.add(conn, event.descriptor.event_id, [event.targets, *_targets_of(previous)])
        log.info(
            "event saved",
            extra={
                "action": "event_saved",
                "event_id": event.descriptor.event_id,
                "modification_number": event.descriptor.modification_number,
            },
        )
        # The event as VENs now get it; who answered what is read with GetEvent (for an event of thousands of
        # VENs, a row each would make the outcome too big to travel, and nobody has answered a change yet).
        view = EventView(event=delivery.at_clock(stored, now), as_of=now)
        return EventOutcome(status=200, detail="OK", events=(view,))

    async def _create(self, conn: Conn, command: CreateEvent, now: datetime, *, fan_out: bool = True) -> EventOutcome:
        event_id = command.event_id or uuid.uuid4().hex
        if await store.event_exists(conn, event_id):
            return EventOutcome(status=409, detail=f"event {event_id!r} exists")
        descriptor = EventDescriptor(
            event_id=event_id,
            modification_number=0,
            market_context=command.market_context,
            created_date_time=now,
            event_status=EventStatus.NONE,
            priority=command.priority,
            test_event=command.test_event,
            vtn_comment=command.vtn_comment,
        )
        event = Event(
            descriptor=descriptor,
            active_period=command.active_period,
            signals=command.signals,
            baseline=command.baseline,
            targets=command.targets,
            response_required=command.response_required,
        )
        outcome = await self._save(conn, delivery.StoredEvent(event), now, new_targets=True, fan_out=fan_out)
        return outcome.model_copy(update={"status": 201, "detail": "created"}) if outcome.status == 200 else outcome

    async def _create_many(self, conn: Conn, command: CreateEvents, now: datetime) -> EventOutcome:
        """Every event of the command, or none: the first that cannot be created is named by its position and
        the ones saved before it are rolled back. One fan-out row per event, written together, so that one
        fan-out round queues every VEN's set with all of them."""
        if (refusal := batch_problem(command, self._config.batch_max)) is not None:
            return refusal
        views: list[EventView] = []
        try:
            async with conn.transaction():  # a savepoint: a refusal undoes this command's events only
                for position, item in enumerate(command.events):
                    outcome = await self._create(conn, item, now, fan_out=False)
                    if outcome.status != 201:
                        raise _BatchRefused(_of_item(position, outcome))
                    views.extend(outcome.events)
                await fanout_store.add_many(conn, [(v.event_id, [v.event.targets]) for v in views])
                created = EventOutcome(status=201, detail=f"{len(views)} events created", events=tuple(views))
                if len(created.model_dump_json()) > OUTCOME_BYTES_MAX:
                    raise _BatchRefused(
                        EventOutcome(status=413, detail="the created events would not fit in one answer: send fewer")
                    )
        except _BatchRefused as refused:  # the events logged as saved above are not
            log.info("event batch refused", extra={"action": "event_batch_refused", "detail": refused.outcome.detail})
            return refused.outcome
        return created

    async def _changeable(self, conn: Conn, event_id: str) -> delivery.StoredEvent | EventOutcome:
        stored = await store.get_event(conn, event_id, lock=True)
        if stored is None:
            return EventOutcome(status=404, detail=f"no event {event_id!r}")
        if stored.cancelled:
            return EventOutcome(status=409, detail=f"event {event_id!r} is cancelled")
        return stored

    async def _modify(self, conn: Conn, command: ModifyEvent, now: datetime) -> EventOutcome:
        stored = await self._changeable(conn, command.event_id)
        if isinstance(stored, EventOutcome):
            return stored
        old = stored.event
        descriptor = _next_version(old.descriptor, now, command.modification_reason).model_copy(
            update=_given(command, MODIFIABLE_DESCRIPTOR_FIELDS)
        )
        event = old.model_copy(update={"descriptor": descriptor, **_given(command, MODIFIABLE_EVENT_FIELDS)})
        return await self._save(conn, delivery.StoredEvent(event), now, stored, new_targets=command.targets is not None)

    async def _cancel(self, conn: Conn, command: CancelEvent, now: datetime) -> EventOutcome:
        stored = await self._changeable(conn, command.event_id)
        if isinstance(stored, EventOutcome):
            return stored
        descriptor = _next_version(stored.event.descriptor, now, command.modification_reason or "cancelled")
        event = stored.event.model_copy(update={"descriptor": descriptor})
        return await self._save(conn, delivery.StoredEvent(event, cancelled=True), now, stored, new_targets=False)

    async def _purge(self, conn: Conn, command: PurgeEvent, now: datetime) -> EventOutcome:
        stored = await store.get_event(conn, command.event_id, lock=True)
        if stored is None:
            return EventOutcome(status=404, detail=f"no event {command.event_id!r}")
        await store.delete_event(conn, command.event_id)
        await fanout_store.add(conn, command.event_id, [stored.event.targets])
        return EventOutcome(status=200, detail="purged")

    async def _set_memberships(self, conn: Conn, command: SetVenMemberships, now: datetime) -> EventOutcome:
        if (unknown := await unknown_vens(conn, [command.ven_id])) is not None:
            return EventOutcome(status=404, detail=unknown)
        ven = delivery.Membership(
            ven_id=command.ven_id,
            group_ids=frozenset(command.group_ids),
            resource_ids=frozenset(command.resource_ids),
            party_ids=frozenset(command.party_ids),
        )
        if (refusal := await _events_out_of_reach(conn, ven, now)) is not None:
            return refusal
        await store.set_membership(conn, ven)
        await refresh.refresh_ven(conn, command.ven_id, now, self._config.outlet)
        return EventOutcome(status=200, detail="OK", memberships=_membership_view(ven))


def batch_problem(command: CreateEvents, batch_max: int) -> EventOutcome | None:
    """Why the batch is refused before any of its events is looked at (too many, an eventID given twice)."""
    if len(command.events) > batch_max:
        return EventOutcome(status=413, detail=f"{len(command.events)} events in one call: at most {batch_max}")
    first_at: dict[str, int] = {}
    for position, item in enumerate(command.events):
        if item.event_id is None:
            continue
        if item.event_id in first_at:
            detail = f"event_id {item.event_id!r} is given twice (also events[{first_at[item.event_id]}])"
            return EventOutcome(status=422, detail=f"events[{position}]: {detail}")
        first_at[item.event_id] = position
    return None


def _of_item(position: int, outcome: EventOutcome) -> EventOutcome:
    """An event's refusal as the batch's, naming its position."""
    return EventOutcome(status=outcome.status, detail=f"events[{position}]: {outcome.detail}")


def _targets_of(stored: delivery.StoredEvent | None) -> list[Target]:
    return [] if stored is None else [stored.event.targets]


async def _unreachable_vens(conn: Conn, event: Event) -> EventOutcome | None:
    """422 naming the targeted VENs of a profile that cannot get `event` (a 2.0a VEN and an event without a
    SIMPLE signal, say), with why; None when every targeted VEN can."""
    for profile, problems in profile_problems(event).items():
        ven_ids = await store.targeted_ven_ids(conn, event.targets, profile=profile, limit=NAMED_VENS + 1)
        if ven_ids:
            return EventOutcome(status=422, detail=unreachable(profile, problems, ven_ids, NAMED_VENS))
    return None


async def _events_out_of_reach(conn: Conn, ven: delivery.Membership, now: datetime) -> EventOutcome | None:
    """422 when the memberships would make the VEN a target of events its profile cannot carry, naming them;
    events that are over (completed, cancelled) ask nothing more of it and do not count."""
    profile = await store.profile_of(conn, ven.ven_id)
    if profile is None:
        return None
    problems_of = traits_of(profile).event_problems
    blocking = [
        f"{stored.event.descriptor.event_id} ({'; '.join(found)})"
        for stored in await store.events_for_ven(conn, ven, now)
        if status.status_at(stored.event.active_period, stored.cancelled, now) not in FINISHED
        and (found := problems_of(stored.event))
    ]
    if not blocking:
        return None
    return EventOutcome(
        status=422,
        detail=f"OpenADR {profile} VEN {ven.ven_id} would be targeted by events it cannot get: {', '.join(blocking)}",
    )


def _given(command: ModifyEvent, fields: tuple[str, ...]) -> dict[str, Any]:
    """The `fields` the command gives (not None), with their new values."""
    values = {name: getattr(command, name) for name in fields}
    return {name: value for name, value in values.items() if value is not None}


def _next_version(descriptor: EventDescriptor, now: datetime, reason: str | None) -> EventDescriptor:
    return descriptor.model_copy(
        update={
            "modification_number": descriptor.modification_number + 1,
            "modification_date_time": now,
            "modification_reason": reason,
        }
    )


def _membership_view(ven: delivery.Membership) -> MembershipView:
    return MembershipView(
        ven_id=ven.ven_id,
        group_ids=tuple(sorted(ven.group_ids)),
        resource_ids=tuple(sorted(ven.resource_ids)),
        party_ids=tuple(sorted(ven.party_ids)),
    )


async def handle_query(conn: Conn, envelope: Envelope) -> EventOutcome | EventCounts | None:
    query, now = envelope.payload, utcnow()
    if isinstance(query, (ListEvents, ListOpts)) and query.ven_id is not None:
        if (unknown := await unknown_vens(conn, [query.ven_id])) is not None:
            return EventOutcome(status=404, detail=unknown)
    if isinstance(query, GetEvent):
        stored = await store.get_event(conn, query.event_id)
        if stored is None:
            return EventOutcome(status=404, detail=f"no event {query.event_id!r}")
        return EventOutcome(status=200, detail="OK", events=(await event_view(conn, stored, now),))
    if isinstance(query, ListEvents):
        return await _list(conn, query, now)
    if isinstance(query, ListOpts):
        opts = await store.list_opts(conn, query.ven_id, query.event_id)
        views = tuple(OptView(opt=o.opt, cancelled_at=o.cancelled_at, updated_at=o.updated_at) for o in opts)
        return EventOutcome(status=200, detail="OK", opts=views)
    if isinstance(query, GetVenMemberships):
        memberships = _membership_view(await store.membership(conn, query.ven_id))
        return EventOutcome(status=200, detail="OK", memberships=memberships)
    if isinstance(query, CountEvents):
        return EventCounts(
            as_of=now,
            by_status=status.count_by_status(
                ((s.event.active_period, s.cancelled) for s in await store.unfinished_events(conn, now)), now
            ),
        )
    return None


async def _list(conn: Conn, query: ListEvents, now: datetime) -> EventOutcome:
    ven = await store.membership(conn, query.ven_id) if query.ven_id is not None else None
    if query.status is None:
        found = await store.list_events(conn, ven, query.limit, query.offset)
    else:
        scanned = await store.list_events(conn, ven, STATUS_FILTER_SCAN, 0)
        matching = [s for s in scanned if status.status_at(s.event.active_period, s.cancelled, now) is query.status]
        found = matching[query.offset : query.offset + query.limit]
    if ven is not None:
        found = [s for s in found if delivery.target_for(ven, s.event.targets) is not None]
    views = tuple([await event_view(conn, s, now) for s in found])
    return EventOutcome(status=200, detail="OK", events=views)
