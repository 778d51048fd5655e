"""An event for many VENs costs the VTN what its distinct sets cost, not what its VENs do: the sets of a
thousand VENs are queued with the statements of one batch and handed out in one notice per set and
partition; the gateways' records of the handouts, and the VENs' answers, are stored with the statements of
one, each answer still judged on its own and published once per distinct answer."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
from lxml import etree

from event_svc import fanout_store, refresh, status, store
from event_svc.created_event_batches import CreatedEventBatches
from event_svc.delivery import Membership
from registration_svc.handout_records import HandoutRecords
from shared import topics
from shared.bus.partitioner import partition_for
from shared.contract.envelope import Envelope
from shared.contract.events import EventResponseFact
from shared.contract.ven_traffic import EventSetHandouts, PendingDelivered, VenChanged, VenReply, VenRequest
from shared.db import pending
from shared.oadr.common import EiResponse
from shared.oadr.event import (
    ActivePeriod,
    CreatedEvent,
    DistributeEvent,
    Event,
    EventDescriptor,
    EventResponse,
    EventStatus,
)
from shared.oadr.event_sets import VEN_MARK
from shared.oadr.registration import Response
from shared.oadr.signal import EventSignal, Interval, SignalName, SignalType
from shared.oadr.target import Target
from shared.settings import VtnSettings
from tests.integration.event_ven import simple_event
from tests.integration.test_events import distribute_on_poll, registered
from tests.stack import RunningVtn, find_on_topic

PARTITIONS = VtnSettings.model_fields["topic_partitions"].default  # the test stack keeps the default
RETENTION = timedelta(days=1)


class StatementCount:
    """Counts the statements a connection runs (asyncpg logs each one just after it returns)."""

    def __init__(self) -> None:
        self.statements = 0

    def __call__(self, _: object) -> None:
        self.statements += 1

    async def taken(self) -> int:
        """The statements so far, counting from zero again."""
        await asyncio.sleep(0.1)  # the last statement's log entry comes on a later turn of the loop
        taken, self.statements = self.statements, 0
        return taken


def an_event(event_id: str, targets: Target) -> Event:
    now = datetime.now(UTC).replace(microsecond=0)
    period = timedelta(minutes=5)
    return Event(
        descriptor=EventDescriptor(
            event_id=event_id,
            modification_number=0,
            market_context="http://MarketContext1",
            created_date_time=now,
            event_status=EventStatus.NONE,
        ),
        active_period=ActivePeriod(dtstart=now + timedelta(minutes=30), duration=period),
        signals=(
            EventSignal(
                signal_name=SignalName.SIMPLE,
                signal_type=SignalType.LEVEL,
                signal_id="s1",
                intervals=(Interval(duration=period, payload=1),),
            ),
        ),
        targets=targets,
    )


async def queue_sets(db: asyncpg.Connection, ven_ids: list[str], event: Event) -> tuple[int, list[Envelope]]:
    """In a transaction left uncommitted: (statements the refresh took, the notices it wrote)."""
    now = datetime.now(UTC)
    await store.save_event(db, event, False, status.schedule(event, False, now, RETENTION))
    last_outbox = await db.fetchval("SELECT coalesce(max(id), 0) FROM outbox")
    counter = StatementCount()
    db.add_query_logger(counter)
    try:
        await refresh.refresh_vens(db, ven_ids, now, refresh.SetOutlet("vtn", PARTITIONS))
        statements = await counter.taken()
    finally:
        db.remove_query_logger(counter)
    rows = await db.fetch("SELECT value FROM outbox WHERE id > $1 AND topic = $2", last_outbox, topics.VEN_CHANGES)
    return statements, [Envelope.from_bytes(row["value"]) for row in rows]


async def test_sets_for_many_vens_take_the_statements_of_each_batch_and_one_notice_per_set_and_partition(
    vtn: RunningVtn, db: asyncpg.Connection, unique: Callable[[str], str]
) -> None:
    many = [unique("fanout-many") for _ in range(refresh.REFRESH_BATCH + 100)]  # two batches
    transaction = db.transaction()
    await transaction.start()
    try:  # nothing is committed: the running stack never sees these sets
        for _ in range(2):  # the first time, the driver also looks up the types of the statements
            few = [unique("fanout-few") for _ in range(3)]
            event = an_event(unique("fanout-few-event"), Target(ven_ids=tuple(few)))
            statements_few, _ = await queue_sets(db, few, event)
        event = an_event(unique("fanout-event"), Target(ven_ids=tuple(many), resource_ids=("r1",)))
        statements_many, notices = await queue_sets(db, many, event)
        rows = await db.fetch(
            "SELECT id, ven_id, message IS NULL AS shared FROM pending_messages WHERE ven_id = ANY($1::text[])", many
        )
        messages = {row["id"]: await pending.message_of(db, row["id"]) for row in rows}
        bodies = await db.fetchval(
            "SELECT count(DISTINCT body_id) FROM pending_messages WHERE ven_id = ANY($1::text[])", many
        )
        marked = an_event(unique("marked-event"), Target(ven_ids=tuple(few)))
        marked = marked.model_copy(
            update={"descriptor": marked.descriptor.model_copy(update={"vtn_comment": VEN_MARK})}
        )
        await queue_sets(db, few, marked)  # a mark in the content: each copy stored whole
        whole = await db.fetch(
            "SELECT id, ven_id FROM pending_messages WHERE ven_id = ANY($1::text[]) AND message IS NOT NULL"
            " AND delivered_at IS NULL",
            few,
        )
        whole_messages = [(row["ven_id"], await pending.message_of(db, row["id"])) for row in whole]
    finally:
        await transaction.rollback()
    assert statements_many == 2 * statements_few  # per batch of VENs, not per VEN

    assert not [n for n in notices if isinstance(n.payload, VenChanged)]  # every VEN had nothing else waiting
    handouts = [n.payload for n in notices if isinstance(n.payload, EventSetHandouts)]
    assert len(handouts) == len(notices) <= 2 * PARTITIONS  # one per set and partition in each batch
    recipients = {r.ven_id: r for h in handouts for r in h.recipients}
    assert sorted(recipients) == sorted(many) and sum(len(h.recipients) for h in handouts) == len(many)
    for notice, handout in zip(notices, handouts, strict=True):
        partitions = {partition_for(r.ven_id.encode(), range(PARTITIONS), ()) for r in handout.recipients}
        assert partitions == {partition_for(notice.kafka_key() or b"", range(PARTITIONS), ())}  # the VENs' own

    assert len(rows) == len(many) and all(row["shared"] for row in rows)
    assert bodies == 2  # the set stored once per batch, not once per VEN
    for row in rows:
        recipient = recipients[row["ven_id"]]
        assert row["id"] == recipient.pending_id
        message = messages[row["id"]]
        assert message == handouts[0].shared_set().message(row["ven_id"], recipient.request_id)
        assert isinstance(message, DistributeEvent) and message.events[0].targets.ven_ids == (row["ven_id"],)
    assert sorted(v for v, _ in whole_messages) == sorted(few)
    for ven_id, message in whole_messages:
        assert isinstance(message, DistributeEvent) and message.events[0].targets.ven_ids == (ven_id,)
        assert VEN_MARK in [e.descriptor.vtn_comment for e in message.events]


class OneConnection:
    """A pool of the one test connection, whose statements are counted."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    @asynccontextmanager
    async def acquire(self) -> AsyncIterator[asyncpg.Connection]:
        yield self.conn


class Relay:
    def __init__(self) -> None:
        self.woken = 0

    def wake(self) -> None:
        self.woken += 1


def created_event(ven_id: str, event_id: str, modification: int, opt: str) -> Envelope:
    message = CreatedEvent(
        response=EiResponse(response_code=200, response_description="OK", request_id="r"),
        ven_id=ven_id,
        event_responses=(
            EventResponse(
                response_code=200,
                event_id=event_id,
                modification_number=modification,
                opt_type=opt,  # type: ignore[arg-type]
            ),
        ),
    )
    return Envelope(ven_id=ven_id, payload=VenRequest(message=message))


def code_of(reply: object) -> int:
    assert isinstance(reply, VenReply) and isinstance(reply.message, Response)
    return reply.message.response.response_code


async def test_a_fetch_of_answers_takes_the_statements_of_one_and_each_is_judged_and_published_once(
    vtn: RunningVtn,
    http: httpx.AsyncClient,
    admin: httpx.AsyncClient,
    db: asyncpg.Connection,
    official_schema: etree.XMLSchema,
    unique: Callable[[str], str],
) -> None:
    vens = [await registered(http, unique("answering-ven"), official_schema) for _ in range(4)]
    ven_ids = [v.ven_id for v in vens]
    created = await admin.post("/events", json=simple_event(tuple(ven_ids[:3])))
    event_id = created.json()["event"]["descriptor"]["event_id"]
    for ven in vens[:3]:
        await distribute_on_poll(ven)
    pool = OneConnection(db)
    batches = CreatedEventBatches(pool, "event_svc", Relay())  # type: ignore[arg-type]

    counter = StatementCount()
    await batches.handle_batch([created_event(ven_ids[0], event_id, 0, "optOut")])  # the driver looks up types
    db.add_query_logger(counter)
    one = await batches.handle_batch([created_event(ven_ids[0], event_id, 0, "optIn")])
    statements_one = await counter.taken()
    redelivered = created_event(ven_ids[1], event_id, 0, "optIn")
    envelopes = [
        redelivered,
        created_event(ven_ids[1], event_id, 0, "optIn"),  # the VEN sends the same answer again
        created_event(ven_ids[2], event_id, 0, "optIn"),
        created_event(ven_ids[2], event_id, 0, "optOut"),  # ... and changes its mind
        created_event(ven_ids[2], event_id, 1, "optIn"),  # a modification the VTN never made: 454
        created_event(ven_ids[3], event_id, 0, "optIn"),  # an event not for this VEN: 452
        created_event(unique("stranger"), event_id, 0, "optIn"),  # not registered: 452
    ]
    many = await batches.handle_batch(envelopes)
    statements_many = await counter.taken()
    again = await batches.handle_batch([redelivered])  # the consumer handles the record again after a crash
    db.remove_query_logger(counter)

    assert statements_many == statements_one
    assert [code_of(r) for r in one] == [200]
    assert [code_of(r) for r in many] == [200, 200, 200, 200, 454, 452, 452]
    assert again == [many[0]]
    wanted = {
        ven_ids[0]: ["optOut", "optIn"],
        ven_ids[1]: ["optIn"],  # once, though sent twice and handled a third time
        ven_ids[2]: ["optIn", "optOut"],  # each change, in order
    }
    published: dict[str, list[str]] = {}
    deadline = time.monotonic() + 30
    while published != wanted and time.monotonic() < deadline:
        facts = await find_on_topic(
            vtn.kafka_bootstrap,
            topics.EVENT_RESPONSES,
            lambda e: isinstance(e.payload, EventResponseFact) and e.payload.event_id == event_id,
        )
        published = {}
        for fact in facts:
            assert isinstance(fact.payload, EventResponseFact)
            published.setdefault(fact.payload.ven_id, []).append(fact.payload.opt_type)
    assert published == wanted
    stored = await db.fetch(
        "SELECT ven_id, opt_type FROM event_responses WHERE event_id = $1 ORDER BY ven_id", event_id
    )
    assert sorted((r["ven_id"], r["opt_type"]) for r in stored) == sorted(
        [(ven_ids[0], "optIn"), (ven_ids[1], "optIn"), (ven_ids[2], "optOut")]
    )


async def test_the_handouts_of_many_vens_are_recorded_with_the_statements_of_one(
    vtn: RunningVtn, db: asyncpg.Connection, unique: Callable[[str], str]
) -> None:
    first, second, busy, also_busy = (unique("handed-out-ven") for _ in range(4))
    records = HandoutRecords(OneConnection(db), Relay())  # type: ignore[arg-type]
    now = datetime.now(UTC)

    def delivered(ven_id: str, pending_id: int) -> Envelope:
        return Envelope(ven_id=ven_id, payload=PendingDelivered(ven_id=ven_id, pending_id=pending_id, delivered_at=now))

    transaction = db.transaction()
    await transaction.start()
    try:  # nothing is committed: the running stack never sees these messages
        ids = {}
        for ven_id in (first, second, busy, also_busy):
            ids[ven_id] = await pending.enqueue(db, ven_id, DistributeEvent(request_id="r", vtn_id="vtn"), "set:1")
        for ven_id in (busy, also_busy):  # queued by a transaction that raced the handout
            await pending.enqueue(db, ven_id, DistributeEvent(request_id="r2", vtn_id="vtn"), "set:2")
        await records.handle_batch([delivered(first, ids[first])])  # the driver looks up the statements' types
        counter = StatementCount()
        db.add_query_logger(counter)
        await records.handle_batch([delivered(also_busy, ids[also_busy])])
        statements_one = await counter.taken()
        last_outbox = await db.fetchval("SELECT coalesce(max(id), 0) FROM outbox")
        await counter.taken()
        batch = [delivered(second, ids[second]), delivered(busy, ids[busy]), delivered(first, ids[first])]
        await records.handle_batch(batch)
        statements_many = await counter.taken()
        db.remove_query_logger(counter)
        rows = await db.fetch(
            "SELECT ven_id, dedup_key, delivered_at IS NOT NULL AS delivered FROM pending_messages"
            " WHERE ven_id = ANY($1::text[]) ORDER BY id",
            [first, second, busy],
        )
        notices = await db.fetch(
            "SELECT value FROM outbox WHERE id > $1 AND topic = $2", last_outbox, topics.VEN_CHANGES
        )
    finally:
        await transaction.rollback()
    assert statements_many == statements_one
    assert [(r["ven_id"], r["dedup_key"], r["delivered"]) for r in rows] == [
        (first, "set:1", True),
        (second, "set:1", True),
        (busy, "set:1", True),
        (busy, "set:2", False),
    ]
    told = [Envelope.from_bytes(row["value"]).payload for row in notices]
    assert [(n.ven_id, n.handout) for n in told if isinstance(n, VenChanged)] == [(busy, None)]  # ask again


async def test_the_vens_an_event_names_are_indexed_as_its_targets_change(
    vtn: RunningVtn, admin: httpx.AsyncClient, db: asyncpg.Connection, unique: Callable[[str], str]
) -> None:
    """Which events name a batch of VENs is read from event_target_vens, kept equal to each event's venIDs."""
    first, second, third = (unique("named-ven") for _ in range(3))

    async def named() -> set[str]:
        rows = await db.fetch("SELECT ven_id FROM event_target_vens WHERE event_id = $1", event_id)
        return {row["ven_id"] for row in rows}

    async def found_for(ven_id: str) -> bool:
        stored = await store.events_for_any(db, [Membership(ven_id)], datetime.now(UTC))
        return event_id in [s.event.descriptor.event_id for s in stored]

    await db.execute(
        "INSERT INTO vens (ven_id, status) SELECT v, 'registered' FROM unnest($1::text[]) v", [first, second, third]
    )
    created = await admin.post("/events", json=simple_event((first, second)))
    event_id = created.json()["event"]["descriptor"]["event_id"]
    assert created.json()["answers"] == []  # who answered is read with GET: a row per VEN would not travel
    assert await named() == {first, second} and await found_for(first) and not await found_for(third)
    changed = simple_event((second, third))
    assert (await admin.patch(f"/events/{event_id}", json={"targets": changed["targets"]})).status_code == 200
    assert await named() == {second, third} and await found_for(third) and not await found_for(first)
    assert (await admin.post(f"/events/{event_id}/cancel")).status_code == 200
    assert await named() == {second, third}
    assert (await admin.delete(f"/events/{event_id}")).status_code == 200
    assert await named() == set()


async def test_an_event_is_read_for_a_batch_of_vens_with_only_the_venids_of_the_batch_it_names(
    vtn: RunningVtn, admin: httpx.AsyncClient, db: asyncpg.Connection, unique: Callable[[str], str]
) -> None:
    """An event naming thousands of VENs is not sent and parsed whole for each batch refreshed, nor for each
    fetch of answers: a batch reads it with the venIDs of its own VENs it names, and a VEN in one of its
    groups finds it too."""
    named = sorted(unique("batch-ven") for _ in range(4))
    in_group = unique("group-ven")
    await db.execute(
        "INSERT INTO vens (ven_id, status) SELECT v, 'registered' FROM unnest($1::text[]) v", [*named, in_group]
    )
    group = unique("group")
    body = simple_event(tuple(reversed(named)))
    body["targets"]["group_ids"] = [group]
    created = await admin.post("/events", json=body)
    event_id = created.json()["event"]["descriptor"]["event_id"]
    batch = [Membership(named[2]), Membership(named[0]), Membership(in_group, group_ids=frozenset({group}))]
    found = [s.event for s in await store.events_for_any(db, batch, datetime.now(UTC))]
    (event,) = [e for e in found if e.descriptor.event_id == event_id]
    assert event.targets.ven_ids == (named[0], named[2])
    assert event.targets.group_ids == (group,)
    (alone,) = [s.event for s in await store.events_for_any(db, [batch[2]], datetime.now(UTC))]
    assert alone.descriptor.event_id == event_id and alone.targets.ven_ids == ()
    version = (await store.event_versions(db, [event_id], [named[3], named[1], in_group]))[event_id]
    assert version.named == {named[1], named[3]} and version.targets.ven_ids == (named[1], named[3])
    assert version.targets.group_ids == (group,)


async def test_changes_pending_together_are_fanned_out_in_one_round_one_set_per_ven(
    vtn: RunningVtn, db: asyncpg.Connection, unique: Callable[[str], str]
) -> None:
    """A program-wide dispatch: three events for the same VENs, committed together, cost one refresh of each
    VEN (one set holding all three), not three."""
    vens = [unique("dispatch-ven") for _ in range(20)]
    events = [an_event(unique("dispatch-event"), Target(ven_ids=tuple(vens))) for _ in range(3)]
    now = datetime.now(UTC)
    async with db.transaction():  # the running stack's fan-out sees the three changes at once
        await db.execute("INSERT INTO vens (ven_id, status) SELECT v, 'registered' FROM unnest($1::text[]) v", vens)
        for event in events:
            await store.save_event(db, event, False, status.schedule(event, False, now, RETENTION))
            await fanout_store.add(db, event.descriptor.event_id, [event.targets])
    event_ids = [e.descriptor.event_id for e in events]
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if not await db.fetchval("SELECT count(*) FROM event_fanouts WHERE event_id = ANY($1::text[])", event_ids):
            break
        await asyncio.sleep(0.2)
    rows = await db.fetch("SELECT id, ven_id FROM pending_messages WHERE ven_id = ANY($1::text[])", vens)
    assert sorted(row["ven_id"] for row in rows) == sorted(vens)  # one set each
    for row in rows:
        message = await pending.message_of(db, row["id"])
        assert isinstance(message, DistributeEvent)
        assert {e.descriptor.event_id for e in message.events} == set(event_ids)
