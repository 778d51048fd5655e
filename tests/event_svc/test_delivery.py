"""What a VEN receives in oadrDistributeEvent (certification rules): its full set, ordered, with status,
currentValue and an eiTarget matching it; and every rendered document validates against the 2.0b XSD."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from lxml import etree

from event_svc.delivery import Membership, StoredEvent, digest, full_set, limited, render, target_for
from shared.contract.events import CreateEvent
from shared.oadr.event import ActivePeriod, DistributeEvent, Event, EventDescriptor, EventStatus
from shared.oadr.signal import Interval
from shared.oadr.target import Target
from shared.oadr_xml.codec import encode
from tests.conftest import assert_valid
from tests.event_svc import shapes

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)
VEN = Membership(ven_id="ven-1", group_ids=frozenset({"north"}), resource_ids=frozenset({"pump"}))


def stored(
    event_id: str,
    *,
    start: datetime = NOW + 10 * MIN,
    priority: int | None = None,
    targets: Target | None = None,
    cancelled: bool = False,
    payloads: tuple[float, ...] = (1,),
) -> StoredEvent:
    step = 10 * MIN
    signal = shapes.simple(payloads[0], step).model_copy(
        update={"intervals": tuple(Interval(duration=step, payload=p) for p in payloads)}
    )
    event = Event(
        descriptor=EventDescriptor(
            event_id=event_id,
            modification_number=0,
            market_context="http://MarketContext1",
            created_date_time=NOW,
            event_status=EventStatus.NONE,
            priority=priority,
        ),
        active_period=ActivePeriod(dtstart=start, duration=step * len(payloads), x_ei_ramp_up=MIN),
        signals=(signal,),
        targets=targets or Target(ven_ids=("ven-1",)),
    )
    return StoredEvent(event, cancelled)


def from_command(command: CreateEvent, event_id: str) -> StoredEvent:
    event = Event(
        descriptor=EventDescriptor(
            event_id=event_id,
            modification_number=0,
            market_context=command.market_context,
            created_date_time=NOW,
            event_status=EventStatus.NONE,
            priority=command.priority,
        ),
        active_period=command.active_period,
        signals=command.signals,
        baseline=command.baseline,
        targets=command.targets,
        response_required=command.response_required,
    )
    return StoredEvent(event)


def test_the_set_is_complete_and_holds_only_events_for_the_ven() -> None:
    events = [
        stored("a"),
        stored("b", targets=Target(ven_ids=("other",))),
        stored("c", targets=Target(group_ids=("north",))),
    ]
    assert [e.descriptor.event_id for e in full_set(events, VEN, NOW)] == ["a", "c"]


def test_events_are_ordered_by_priority_then_start_time() -> None:
    events = [
        stored("no-priority", start=NOW),
        stored("late-1", priority=1, start=NOW + 30 * MIN),
        stored("early-1", priority=1, start=NOW + 5 * MIN),
        stored("prio-0", priority=0, start=NOW - MIN),
        stored("prio-2", priority=2, start=NOW),
    ]
    assert [e.descriptor.event_id for e in full_set(events, VEN, NOW)] == [
        "early-1",
        "late-1",
        "prio-2",
        "prio-0",
        "no-priority",
    ]


def test_status_and_current_value_follow_the_clock_at_delivery() -> None:
    event = stored("a", start=NOW, payloads=(2, 3))
    for moment, status, value in (
        (NOW - 5 * MIN, EventStatus.FAR, 0.0),
        (NOW - MIN, EventStatus.NEAR, 0.0),
        (NOW, EventStatus.ACTIVE, 2.0),
        (NOW + 15 * MIN, EventStatus.ACTIVE, 3.0),
        (NOW + 20 * MIN, EventStatus.COMPLETED, 0.0),
    ):
        rendered = render(event, VEN, moment)
        assert rendered is not None
        assert rendered.descriptor.event_status is status
        assert rendered.signals[0].current_value == value


def test_a_cancelled_event_is_delivered_as_cancelled() -> None:
    rendered = render(stored("a", start=NOW - MIN, cancelled=True), VEN, NOW)
    assert rendered is not None and rendered.descriptor.event_status is EventStatus.CANCELLED
    assert rendered.signals[0].current_value == 0


def test_every_event_carries_an_ei_target_matching_the_ven() -> None:
    by_group = target_for(VEN, Target(group_ids=("north", "south")))
    assert by_group == Target(ven_ids=("ven-1",), group_ids=("north",))
    by_resource = target_for(VEN, Target(resource_ids=("pump", "fan")))
    assert by_resource == Target(ven_ids=("ven-1",), resource_ids=("pump",))
    by_ven = target_for(VEN, Target(ven_ids=("ven-1", "ven-2"), resource_ids=("resource-1", "resource-2")))
    assert by_ven == Target(ven_ids=("ven-1",), resource_ids=("resource-1", "resource-2"))
    by_party = target_for(Membership("ven-1", party_ids=frozenset({"p"})), Target(party_ids=("p",)))
    assert by_party == Target(ven_ids=("ven-1",), party_ids=("p",))
    assert target_for(VEN, Target(group_ids=("south",), ven_ids=("VEN-1",))) is None


def test_reply_limit_keeps_the_most_important_events() -> None:
    events = full_set([stored("b", priority=2), stored("a", priority=1), stored("c", priority=3)], VEN, NOW)
    assert [e.descriptor.event_id for e in limited(events, 2)] == ["a", "b"]
    assert limited(events, None) == events and limited(events, 0) == events


def test_the_digest_changes_only_when_what_the_ven_sees_changes() -> None:
    event = stored("a", start=NOW + 10 * MIN)
    first = digest(full_set([event], VEN, NOW))
    assert digest(full_set([event], VEN, NOW + MIN)) == first  # still far: nothing to re-send
    assert digest(full_set([event], VEN, NOW + 9 * MIN)) != first  # near now
    assert digest(()) != first


def test_every_certification_shape_renders_valid_against_the_official_schema(official_schema: etree.XMLSchema) -> None:
    commands = shapes.every_shape(NOW, "ven-1")
    events = full_set([from_command(c, f"event-{i}") for i, c in enumerate(commands)], VEN, NOW)
    assert len(events) == len(commands)

    def distribute(events: tuple[Event, ...], request_id: str, vtn_id: str) -> DistributeEvent:
        return DistributeEvent(request_id=request_id, vtn_id=vtn_id, events=events)

    for moment in (NOW, NOW + 2 * MIN, NOW + 12 * MIN, NOW + 3 * timedelta(hours=1)):
        document = encode(
            distribute(full_set([from_command(c, f"e{i}") for i, c in enumerate(commands)], VEN, moment), "r1", "vtn")
        )
        assert_valid(official_schema, document)
    assert_valid(official_schema, encode(distribute((), "r2", "vtn")))  # the empty oadrDistributeEvent
    cancelled = full_set([stored("x", cancelled=True)], VEN, NOW)
    assert_valid(official_schema, encode(distribute(cancelled, "r3", "vtn")))
