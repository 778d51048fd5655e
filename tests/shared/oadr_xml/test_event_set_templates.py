"""Event sets written from templates are byte for byte what the renderer writes for each VEN's own set, and
valid 2.0b; a set the template cannot tell apart (markup in a value, a marker in the content, a value that
appears elsewhere in the set) goes to the renderer."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from lxml import etree

from event_svc import delivery
from shared.oadr.event import ActivePeriod, DistributeEvent, Event, EventDescriptor, EventStatus
from shared.oadr.signal import EventSignal, Interval, SignalName, SignalType
from shared.oadr.target import Target
from shared.oadr_xml.codec import render
from shared.oadr_xml.event_set_templates import EventSetTemplates
from tests.conftest import assert_valid

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=timezone.utc)


def event(event_id: str, targets: Target, comment: str | None = None) -> Event:
    return Event(
        descriptor=EventDescriptor(
            event_id=event_id, modification_number=2, market_context="http://market.example.com",
            created_date_time=NOW, event_status=EventStatus.FAR, vtn_comment=comment,
        ),
        active_period=ActivePeriod(dtstart=NOW + timedelta(hours=1), duration=timedelta(minutes=30)),
        signals=(EventSignal(signal_name=SignalName.SIMPLE, signal_type=SignalType.LEVEL, signal_id="s",
                             intervals=(Interval(duration=timedelta(minutes=30), payload=2),)),),
        targets=targets,
    )  # fmt: skip


def sets_for(vens: list[delivery.Membership], *events: Event) -> list[DistributeEvent]:
    sets = delivery.full_sets([delivery.StoredEvent(e) for e in events], vens, NOW)
    return [delivery.distribute(sets[v.ven_id], f"request-{v.ven_id}", "vtn") for v in vens]


def test_one_template_serves_every_ven_of_an_event(official_schema: etree.XMLSchema) -> None:
    vens = [delivery.Membership(f"ven-{i}") for i in range(50)]
    everyone = Target(ven_ids=tuple(v.ven_id for v in vens))
    rendered: list[DistributeEvent] = []

    def counting(message: object) -> bytes:
        assert isinstance(message, DistributeEvent)
        rendered.append(message)
        return render(message)

    templates = EventSetTemplates(counting)
    for message in sets_for(vens, event("e1", everyone), event("e2", everyone)):
        assert templates.encode(message) == render(message)
    renders = len(rendered)
    assert renders == 1
    assert_valid(official_schema, render(sets_for(vens[:1], event("e1", Target(ven_ids=("ven-0",))))[0]))


def test_vens_targeted_by_group_get_their_own_groups_in_their_own_template() -> None:
    vens = [delivery.Membership("a", group_ids=frozenset({"g1"})), delivery.Membership("b", group_ids=frozenset({"g2"})),
            delivery.Membership("c", group_ids=frozenset({"g1"}))]  # fmt: skip
    templates = EventSetTemplates(render)
    for message in sets_for(vens, event("e", Target(group_ids=("g1", "g2")))):
        assert templates.encode(message) == render(message)


@pytest.mark.parametrize(
    ("ven_id", "request_id", "comment", "event_id"),
    [
        ("ven & co <1>", "r1", None, "e"),  # markup: the renderer escapes it
        ("ven-1", "r@1", None, "e"),  # an @ could forge a marker
        ("ven-1", "r1", "@@ven@@ and @@request@@", "e"),  # markers in the content itself
        ("ven-1", "r1", None, "ven-1"),  # the venID appears elsewhere in the set
        ("ven-1", "ven-1", None, "e"),  # the requestID is the venID
    ],
)
def test_sets_a_template_cannot_tell_apart_are_rendered(ven_id: str, request_id: str, comment: str | None, event_id: str) -> None:
    message = DistributeEvent(request_id=request_id, vtn_id="vtn", events=(event(event_id, Target(ven_ids=(ven_id,)), comment),))
    templated = EventSetTemplates(render).encode(message)
    assert templated is None or templated == render(message)


def test_an_empty_set_and_a_set_without_ven_targets_are_templated_by_request_only() -> None:
    templates = EventSetTemplates(render)
    for message in (
        DistributeEvent(request_id="r1", vtn_id="vtn", events=()),
        DistributeEvent(request_id="r2", vtn_id="vtn", events=()),
        DistributeEvent(request_id="r3", vtn_id="vtn", events=(event("e", Target()),)),
    ):
        assert templates.encode(message) == render(message)
