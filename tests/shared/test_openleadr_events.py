"""OpenLEADR events (objects.Event dataclasses and dicts), as `on_request_event` / `on_poll` return them,
converted into the VTN's models; the oadrDistributeEvent they make passes the official XSD."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from lxml import etree
from openleadr import objects

from shared.oadr.event import DistributeEvent, EventStatus, ResponseRequired
from shared.oadr_xml.codec import encode
from shared.openleadr_events import InvalidHandlerEvents, events_from_handler
from tests.conftest import assert_valid

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)


def openleadr_event(event_id: str = "e1", start: datetime = NOW + 10 * MIN, priority: int = 0) -> objects.Event:
    return objects.Event(
        event_descriptor=objects.EventDescriptor(
            event_id=event_id,
            modification_number=None,
            market_context="http://market",
            event_status="far",
            priority=priority,
        ),
        event_signals=[
            objects.EventSignal(
                intervals=[
                    objects.Interval(dtstart=start, duration=5 * MIN, signal_payload=1.0),
                    objects.Interval(dtstart=start + 5 * MIN, duration=5 * MIN, signal_payload=2.0),
                ],
                signal_name="SIMPLE",
                signal_type="level",
                signal_id="s1",
                targets=[objects.Target(end_device_asset=objects.EndDeviceAsset(mrid="Thermostat"))],
            )
        ],
        targets=[objects.Target(ven_id="ven-1"), objects.Target(group_id="north")],
    )


def event_dict(**descriptor: Any) -> dict[str, Any]:
    return {
        "event_descriptor": {"event_id": "d1", "market_context": "http://market", "event_status": "far", **descriptor},
        "active_period": {
            "dtstart": NOW - MIN,
            "duration": timedelta(minutes=10),
            "tolerance": {"tolerate": {"startafter": timedelta(seconds=30)}},
            "ramp_up_period": MIN,
        },
        "event_signals": [
            {
                "signal_name": "ELECTRICITY_PRICE",
                "signal_type": "price",
                "signal_id": "p",
                "intervals": [{"duration": timedelta(minutes=10), "signal_payload": 0.25}],
                "measurement": {"name": "currencyPerKWh", "description": "currencyPerKWh", "unit": "USD"},
            }
        ],
        "response_required": "never",
    }


def test_an_openleadr_event_object_gets_what_openleadr_fills_in() -> None:
    [event] = events_from_handler(openleadr_event(), "ven-1", NOW)
    assert event.descriptor.event_id == "e1"
    assert event.descriptor.modification_number == 0
    assert event.descriptor.created_date_time is not None
    assert event.descriptor.event_status is EventStatus.FAR
    assert event.active_period.dtstart == NOW + 10 * MIN and event.active_period.duration == 10 * MIN
    assert [i.payload for i in event.signals[0].intervals] == [1.0, 2.0]
    assert event.signals[0].current_value == 0.0
    assert event.signals[0].targets is not None and event.signals[0].targets.end_device_assets == ("Thermostat",)
    assert event.targets.ven_ids == ("ven-1",) and event.targets.group_ids == ("north",)
    assert event.response_required is ResponseRequired.ALWAYS


def test_a_dict_event_is_read_with_its_status_from_the_clock_and_its_options() -> None:
    [event] = events_from_handler(event_dict(modification_number=3, priority=2, created_date_time=NOW - MIN), "v9", NOW)
    assert event.descriptor.event_status is EventStatus.ACTIVE  # "far" as given, active by the clock
    assert event.descriptor.modification_number == 3 and event.descriptor.priority == 2
    assert event.descriptor.created_date_time == NOW - MIN
    assert event.active_period.start_after == timedelta(seconds=30) and event.active_period.x_ei_ramp_up == MIN
    assert event.signals[0].current_value == 0.25
    assert event.signals[0].item_base is not None and event.signals[0].item_base.units == "USD"
    assert event.targets.ven_ids == ("v9",)  # no targets: addressed to the VEN that asked
    assert event.response_required is ResponseRequired.NEVER


def test_cancelled_stays_cancelled_and_other_statuses_follow_the_clock() -> None:
    assert events_from_handler(event_dict(event_status="cancelled"), "v", NOW)[0].descriptor.event_status == "cancelled"
    assert events_from_handler(event_dict(), "v", NOW - 90 * MIN)[0].descriptor.event_status == "far"
    assert events_from_handler(event_dict(), "v", NOW - 90 * timedelta(seconds=1))[0].descriptor.event_status == "near"
    assert events_from_handler(event_dict(), "v", NOW + 10 * MIN)[0].descriptor.event_status == "completed"


def test_none_one_or_many_events_come_out_in_delivery_order() -> None:
    assert events_from_handler(None, "v", NOW) == ()
    assert len(events_from_handler(openleadr_event(), "v", NOW)) == 1
    handed = [openleadr_event("late", NOW + 20 * MIN), openleadr_event("early"), openleadr_event("urgent", priority=1)]
    events = events_from_handler(handed, "v", NOW)
    assert [e.descriptor.event_id for e in events] == ["urgent", "early", "late"]


@pytest.mark.parametrize(
    "bad",
    [
        "not an event",
        [{"event_descriptor": {"event_id": "x"}}],
        {**event_dict(), "event_signals": []},
        {**event_dict(), "targets": [{"p_node": {"node": "n"}}]},
        [openleadr_event(), 42],
    ],
)
def test_anything_else_is_refused(bad: Any) -> None:
    with pytest.raises(InvalidHandlerEvents):
        events_from_handler(bad, "v", NOW)


def test_the_distribute_event_they_make_is_valid(official_schema: etree.XMLSchema) -> None:
    handed = [openleadr_event(), event_dict(), event_dict(event_id="c", event_status="cancelled")]
    events = events_from_handler(handed, "v", NOW)
    message = DistributeEvent(request_id="r1", vtn_id="vtn", events=events)
    assert_valid(official_schema, encode(message))


def test_a_naive_dtstart_is_local_time_as_openleadr_reads_it() -> None:
    naive = event_dict()
    naive["active_period"] = {**naive["active_period"], "dtstart": (NOW - MIN).astimezone().replace(tzinfo=None)}
    [event] = events_from_handler(naive, "v", NOW)
    assert event.active_period.dtstart == NOW - MIN
