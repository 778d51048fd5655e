"""The EiEvent service on the wire: oadrDistributeEvent as the VTN renders it, oadrRequestEvent and
oadrCreatedEvent as a VEN (OpenLEADR) sends them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, cast

import pytest
from lxml import etree
from openleadr.messaging import create_message, parse_message
from pydantic import ValidationError

from shared.oadr.common import EiResponse
from shared.oadr.event import (
    ActivePeriod,
    CreatedEvent,
    DistributeEvent,
    Event,
    EventDescriptor,
    EventResponse,
    EventStatus,
    RequestEvent,
    ResponseRequired,
)
from shared.oadr.messages import VTN_MESSAGE_ADAPTER
from shared.oadr.signal import EventBaseline, EventSignal, Interval, SignalName, SignalType
from shared.oadr.target import Target
from shared.oadr.units import ItemBase, PowerAttributes
from shared.oadr_xml.codec import decode, encode, render_tree
from shared.oadr_xml.common import EI_RESPONSE, REQUEST_ID, VTN_ID, parse_ei_response, parse_wrapped_duration
from shared.oadr_xml.errors import UnsupportedMessage
from shared.oadr_xml.events import (
    EVENT_ID,
    MODIFICATION_NUMBER,
    X_EI_NOTIFICATION,
    X_EI_RAMP_UP,
    X_EI_RECOVERY,
)
from shared.oadr_xml.namespaces import EI, EMIX, OADR, XCAL, q
from shared.oadr_xml.schema import validate
from shared.oadr_xml.signal import (
    BASELINE_ID,
    BASELINE_NAME,
    CURRENT_VALUE,
    EI_TARGET,
    EVENT_BASELINE,
    EVENT_SIGNAL,
    EVENT_SIGNALS,
    INTERVAL,
    INTERVALS,
    PAYLOAD_FLOAT,
    RESOURCE_ID,
    SIGNAL_ID,
    SIGNAL_NAME,
    SIGNAL_PAYLOAD,
    SIGNAL_TYPE,
    VALUE,
)
from shared.oadr_xml.target import parse_target
from shared.oadr_xml.tree import required_child, required_text, text_of
from shared.oadr_xml.units import parse_item_base
from shared.oadr_xml.values import parse_datetime, parse_duration
from shared.oadr_xml.xcal import PROPERTIES, parse_dtstart, parse_duration_property, parse_uid

CREATED = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
START = CREATED + timedelta(hours=2)


# --- building events -------------------------------------------------------------------------------


def _descriptor(event_id: str, **changes: Any) -> EventDescriptor:
    fields: dict[str, Any] = {
        "event_id": event_id,
        "modification_number": 0,
        "market_context": "http://market.example.com/dr",
        "created_date_time": CREATED,
        "event_status": EventStatus.FAR,
    }
    return EventDescriptor(**{**fields, **changes})


def _intervals(*payloads: float, minutes: int = 30) -> tuple[Interval, ...]:
    return tuple(
        Interval(duration=timedelta(minutes=minutes), payload=payload, uid=str(position))
        for position, payload in enumerate(payloads)
    )


def _simple_signal(*levels: float) -> EventSignal:
    return EventSignal(
        signal_name=SignalName.SIMPLE,
        signal_type=SignalType.LEVEL,
        signal_id="signal-simple",
        intervals=_intervals(*levels),
        current_value=0,
    )


def _event(event_id: str = "event-1", *, signals: tuple[EventSignal, ...] | None = None, **changes: Any) -> Event:
    chosen = signals or (_simple_signal(1, 2, 3),)
    fields: dict[str, Any] = {
        "descriptor": _descriptor(event_id),
        "active_period": ActivePeriod(
            dtstart=START, duration=sum((i.duration for i in chosen[0].intervals), timedelta())
        ),
        "signals": chosen,
    }
    return Event(**{**fields, **changes})


def _distribute(*events: Event, response: EiResponse | None = None) -> DistributeEvent:
    return DistributeEvent(request_id="distribute-1", vtn_id="vtn-1", events=events, response=response)


POWER_REAL_KW = ItemBase(
    name="powerReal",
    description="RealPower",
    units="W",
    si_scale_code="k",
    power_attributes=PowerAttributes(hertz=60, voltage=240, ac=True),
)
USD_PER_KWH = ItemBase(name="currencyPerKWh", description="currencyPerKWh", units="USD", si_scale_code="none")
ALL_TARGET_KINDS = Target(
    ven_ids=("ven-1", "ven-2"),
    group_ids=("group-north",),
    resource_ids=("resource-1", "resource-2"),
    party_ids=("party-1",),
    end_device_assets=("Thermostat",),
)

DISTRIBUTE_EVENTS: dict[str, DistributeEvent] = {
    "no events": _distribute(),
    "no events, answering with an eiResponse": _distribute(response=EiResponse(request_id="request-7")),
    "one SIMPLE level signal with several intervals": _distribute(_event()),
    "several events": _distribute(
        _event("event-1"),
        _event("event-2", descriptor=_descriptor("event-2", event_status=EventStatus.ACTIVE, priority=1)),
        _event("event-3", response_required=ResponseRequired.NEVER),
    ),
    "ELECTRICITY_PRICE price in currency per kWh": _distribute(
        _event(
            signals=(
                EventSignal(
                    signal_name=SignalName.ELECTRICITY_PRICE,
                    signal_type=SignalType.PRICE,
                    signal_id="price",
                    intervals=_intervals(0.12, 0.31, 0.18, minutes=60),
                    item_base=USD_PER_KWH,
                    current_value=0.12,
                ),
            )
        )
    ),
    "LOAD_DISPATCH setpoint in kW of real power": _distribute(
        _event(
            signals=(
                EventSignal(
                    signal_name=SignalName.LOAD_DISPATCH,
                    signal_type=SignalType.SETPOINT,
                    signal_id="dispatch",
                    intervals=_intervals(50, 42.5),
                    item_base=POWER_REAL_KW,
                ),
            )
        )
    ),
    "every kind of target, on the event and on a signal": _distribute(
        _event(
            signals=(_simple_signal(1).model_copy(update={"targets": Target(end_device_assets=("Thermostat",))}),),
            targets=ALL_TARGET_KINDS,
        )
    ),
    "tolerance, notification, ramp-up and recovery": _distribute(
        _event(
            active_period=ActivePeriod(
                dtstart=START,
                duration=timedelta(hours=1, minutes=30),
                start_after=timedelta(minutes=5),
                x_ei_notification=timedelta(days=1),
                x_ei_ramp_up=timedelta(minutes=15),
                x_ei_recovery=timedelta(minutes=20),
            )
        )
    ),
    "cancelled event": _distribute(
        _event(
            descriptor=_descriptor(
                "event-1",
                modification_number=3,
                modification_date_time=CREATED + timedelta(minutes=10),
                modification_reason="grid emergency over",
                event_status=EventStatus.CANCELLED,
            )
        )
    ),
    "test event with a VTN comment": _distribute(
        _event(descriptor=_descriptor("event-1", test_event=True, vtn_comment="monthly drill, no action needed"))
    ),
    "open-ended event with an extension signal name and a baseline": _distribute(
        _event(
            active_period=ActivePeriod(dtstart=START, duration=timedelta(0)),
            signals=(
                EventSignal(
                    signal_name="x-heat-pump-mode",
                    signal_type=SignalType.LOAD_CONTROL_CAPACITY,
                    signal_id="capacity",
                    intervals=(Interval(duration=timedelta(0), payload=0.5, uid="only"),),
                ),
                EventSignal(
                    signal_name=SignalName.LOAD_CONTROL,
                    signal_type=SignalType.LOAD_CONTROL_PERCENT_OFFSET,
                    signal_id="offset",
                    intervals=(Interval(duration=timedelta(0), payload=-20, uid="0"),),
                ),
            ),
            baseline=EventBaseline(
                baseline_id="baseline-1",
                baseline_name="typical Tuesday",
                dtstart=START,
                duration=timedelta(hours=1),
                intervals=_intervals(12.5, 13.25),
                resource_ids=("resource-1",),
                item_base=ItemBase(name="energyReal", description="RealEnergy", units="Wh", si_scale_code="k"),
            ),
        )
    ),
}

ITEM_BASES: dict[str, ItemBase] = {
    item.name: item
    for item in (
        POWER_REAL_KW,
        POWER_REAL_KW.model_copy(update={"name": "powerReactive", "description": "ReactivePower", "units": "VAR"}),
        POWER_REAL_KW.model_copy(update={"name": "powerApparent", "description": "ApparentPower", "units": "VA"}),
        ItemBase(name="energyReal", description="RealEnergy", units="Wh", si_scale_code="k"),
        ItemBase(name="energyReactive", description="ReactiveEnergy", units="VARh", si_scale_code="none"),
        ItemBase(name="energyApparent", description="ApparentEnergy", units="VAh", si_scale_code="M"),
        ItemBase(name="voltage", description="Voltage", units="V", si_scale_code="none"),
        ItemBase(name="current", description="Current", units="A", si_scale_code="none"),
        ItemBase(name="frequency", description="Frequency", units="Hz", si_scale_code="none"),
        ItemBase(name="Therm", description="Therm", units="thm", si_scale_code="none"),
        ItemBase(name="temperature", description="temperature", units="celsius", si_scale_code="none"),
        ItemBase(name="pulseCount", description="pulse count", units="count", pulse_factor=0.25),
        ItemBase(name="currency", description="currency", units="EUR", si_scale_code="none"),
        USD_PER_KWH,
        ItemBase(name="currencyPerKW", description="currencyPerKW", units="USD", si_scale_code="none"),
        # The XSD's currency descriptions omit currencyPerThm, so that unit is described as "currency".
        ItemBase(name="currencyPerThm", description="currency", units="USD", si_scale_code="none"),
        ItemBase(name="customUnit", description="state of charge", units="%", si_scale_code="none"),
    )
}


def _signal_with_unit(item: ItemBase) -> Event:
    signal = EventSignal(
        signal_name=SignalName.BID_PRICE,
        signal_type=SignalType.PRICE,
        signal_id="unit",
        intervals=_intervals(1),
        item_base=item,
    )
    return _event(signals=(signal,))


# --- reading oadrDistributeEvent back (VENs send no such message, so the codec has no parser for it) ---


def _read_intervals(parent: etree._Element) -> tuple[Interval, ...]:
    return tuple(
        Interval(
            duration=cast(timedelta, parse_duration_property(interval)),
            uid=parse_uid(interval),
            payload=float(
                required_text(required_child(required_child(interval, SIGNAL_PAYLOAD), PAYLOAD_FLOAT), VALUE)
            ),
        )
        for interval in required_child(parent, INTERVALS).iterfind(INTERVAL)
    )


def _read_signal(element: etree._Element) -> EventSignal:
    target = element.find(EI_TARGET)
    current = element.find(CURRENT_VALUE)
    return EventSignal(
        signal_name=required_text(element, SIGNAL_NAME),
        signal_type=SignalType(required_text(element, SIGNAL_TYPE)),
        signal_id=required_text(element, SIGNAL_ID),
        intervals=_read_intervals(element),
        targets=None if target is None else parse_target(target),
        item_base=parse_item_base(element),
        current_value=None if current is None else float(required_text(required_child(current, PAYLOAD_FLOAT), VALUE)),
    )


def _read_baseline(element: etree._Element) -> EventBaseline:
    return EventBaseline(
        baseline_id=required_text(element, BASELINE_ID),
        baseline_name=required_text(element, BASELINE_NAME),
        dtstart=cast(datetime, parse_dtstart(element)),
        duration=cast(timedelta, parse_duration_property(element)),
        intervals=_read_intervals(element),
        resource_ids=tuple((found.text or "") for found in element.iterfind(RESOURCE_ID)),
        item_base=parse_item_base(element),
    )


def _read_active_period(element: etree._Element) -> ActivePeriod:
    properties = required_child(element, PROPERTIES)
    start_after = properties.findtext(f"{q(XCAL, 'tolerance')}/{q(XCAL, 'tolerate')}/{q(XCAL, 'startafter')}")
    return ActivePeriod(
        dtstart=cast(datetime, parse_dtstart(properties)),
        duration=cast(timedelta, parse_duration_property(properties)),
        start_after=None if start_after is None else parse_duration(start_after),
        x_ei_notification=parse_wrapped_duration(properties, X_EI_NOTIFICATION),
        x_ei_ramp_up=parse_wrapped_duration(properties, X_EI_RAMP_UP),
        x_ei_recovery=parse_wrapped_duration(properties, X_EI_RECOVERY),
    )


def _read_descriptor(element: etree._Element) -> EventDescriptor:
    modified = text_of(element, q(EI, "modificationDateTime"))
    priority = text_of(element, q(EI, "priority"))
    return EventDescriptor(
        event_id=required_text(element, EVENT_ID),
        modification_number=int(required_text(element, MODIFICATION_NUMBER)),
        modification_date_time=None if modified is None else parse_datetime(modified),
        modification_reason=text_of(element, q(EI, "modificationReason")),
        priority=None if priority is None else int(priority),
        market_context=required_text(required_child(element, q(EI, "eiMarketContext")), q(EMIX, "marketContext")),
        created_date_time=parse_datetime(required_text(element, q(EI, "createdDateTime"))),
        event_status=EventStatus(required_text(element, q(EI, "eventStatus"))),
        test_event=text_of(element, q(EI, "testEvent")) not in (None, "false"),
        vtn_comment=text_of(element, q(EI, "vtnComment")),
    )


def _read_event(element: etree._Element) -> Event:
    ei_event = required_child(element, q(EI, "eiEvent"))
    signals = required_child(ei_event, EVENT_SIGNALS)
    baseline = signals.find(EVENT_BASELINE)
    return Event(
        descriptor=_read_descriptor(required_child(ei_event, q(EI, "eventDescriptor"))),
        active_period=_read_active_period(required_child(ei_event, q(EI, "eiActivePeriod"))),
        signals=tuple(_read_signal(signal) for signal in signals.iterfind(EVENT_SIGNAL)),
        baseline=None if baseline is None else _read_baseline(baseline),
        targets=parse_target(required_child(ei_event, EI_TARGET)),
        response_required=ResponseRequired(required_text(element, q(OADR, "oadrResponseRequired"))),
    )


def read_distribute_event(element: etree._Element) -> DistributeEvent:
    return DistributeEvent(
        response=None if element.find(EI_RESPONSE) is None else parse_ei_response(element),
        request_id=required_text(element, REQUEST_ID),
        vtn_id=required_text(element, VTN_ID),
        events=tuple(_read_event(event) for event in element.iterfind(q(OADR, "oadrEvent"))),
    )


def _message_element(message: DistributeEvent) -> etree._Element:
    return render_tree(message)[0][0]


# --- (a) what the VTN renders is valid 2.0b ---------------------------------------------------------


@pytest.mark.parametrize("message", DISTRIBUTE_EVENTS.values(), ids=DISTRIBUTE_EVENTS.keys())
def test_distribute_event_validates_against_the_official_schema(
    message: DistributeEvent, official_schema: etree.XMLSchema
) -> None:
    validate(render_tree(message), official_schema)


@pytest.mark.parametrize("item", ITEM_BASES.values(), ids=ITEM_BASES.keys())
def test_every_signal_unit_validates_in_its_namespace(item: ItemBase, official_schema: etree.XMLSchema) -> None:
    validate(render_tree(_distribute(_signal_with_unit(item))), official_schema)


@pytest.mark.parametrize("message", DISTRIBUTE_EVENTS.values(), ids=DISTRIBUTE_EVENTS.keys())
def test_distribute_event_renders_every_field(message: DistributeEvent) -> None:
    assert read_distribute_event(_message_element(message)) == message


def test_an_interval_without_uid_is_numbered_by_its_position() -> None:
    signal = _simple_signal(1, 2, 3)
    anonymous = signal.model_copy(
        update={"intervals": tuple(interval.model_copy(update={"uid": None}) for interval in signal.intervals)}
    )

    (read_back,) = read_distribute_event(_message_element(_distribute(_event(signals=(anonymous,))))).events

    assert read_back.signals == (signal,)


@pytest.mark.parametrize("message", DISTRIBUTE_EVENTS.values(), ids=DISTRIBUTE_EVENTS.keys())
def test_distribute_event_survives_the_json_contract(message: DistributeEvent) -> None:
    assert VTN_MESSAGE_ADAPTER.validate_json(VTN_MESSAGE_ADAPTER.dump_json(message)) == message


def test_event_without_signals_is_refused() -> None:
    with pytest.raises(ValidationError):
        Event(
            descriptor=_descriptor("event-1"),
            active_period=ActivePeriod(dtstart=START, duration=timedelta(0)),
            signals=(),
        )


def test_signal_without_intervals_is_refused() -> None:
    with pytest.raises(ValidationError):
        EventSignal(signal_name="SIMPLE", signal_type="level", signal_id="s", intervals=())


def test_signal_name_outside_the_enumeration_needs_the_x_prefix() -> None:
    with pytest.raises(ValidationError):
        EventSignal(signal_name="HEAT_PUMP", signal_type="level", signal_id="s", intervals=_intervals(1))


@pytest.mark.parametrize("value", [float("inf"), float("nan")])
def test_payloads_are_finite(value: float) -> None:
    with pytest.raises(ValidationError):
        Interval(duration=timedelta(minutes=1), payload=value)


def test_durations_are_whole_seconds_as_the_schema_requires() -> None:
    with pytest.raises(ValidationError):
        Interval(duration=timedelta(seconds=1.5), payload=1)
    with pytest.raises(ValidationError):
        ActivePeriod(dtstart=START, duration=timedelta(hours=1), start_after=timedelta(milliseconds=10))


def test_a_ven_may_not_send_oadr_distribute_event(official_schema: etree.XMLSchema) -> None:
    with pytest.raises(UnsupportedMessage):
        decode(encode(_distribute(_event())), official_schema)


# --- (b) what an OpenLEADR VEN sends is understood ------------------------------------------------


def _from_openleadr(message_type: str, **payload: Any) -> bytes:
    return cast(str, create_message(message_type, **payload)).encode("utf-8")


def test_request_event_without_reply_limit(official_schema: etree.XMLSchema) -> None:
    body = _from_openleadr("oadrRequestEvent", request_id="request-1", ven_id="ven-1")

    assert decode(body, official_schema).message == RequestEvent(request_id="request-1", ven_id="ven-1")


def test_request_event_with_reply_limit(official_schema: etree.XMLSchema) -> None:
    body = _from_openleadr("oadrRequestEvent", request_id="request-2", ven_id="ven-1", reply_limit=5)

    assert decode(body, official_schema).message == RequestEvent(request_id="request-2", ven_id="ven-1", reply_limit=5)


def _openleadr_event_response(event_id: str, opt_type: str, modification_number: int = 0) -> dict[str, Any]:
    return {
        "response_code": 200,
        "response_description": "OK",
        "request_id": "distribute-1",
        "event_id": event_id,
        "modification_number": modification_number,
        "opt_type": opt_type,
    }


@pytest.mark.parametrize("opt_type", ["optIn", "optOut"])
def test_created_event_with_one_event_response(opt_type: str, official_schema: etree.XMLSchema) -> None:
    body = _from_openleadr(
        "oadrCreatedEvent",
        response={"response_code": 200, "response_description": "OK", "request_id": None},
        event_responses=[_openleadr_event_response("event-1", opt_type, modification_number=2)],
        ven_id="ven-1",
    )

    assert decode(body, official_schema).message == CreatedEvent(
        response=EiResponse(response_code=200, response_description="OK", request_id=None),
        ven_id="ven-1",
        event_responses=(
            EventResponse(
                response_code=200,
                response_description="OK",
                request_id="distribute-1",
                event_id="event-1",
                modification_number=2,
                opt_type=opt_type,
            ),
        ),
    )


def test_created_event_with_several_event_responses(official_schema: etree.XMLSchema) -> None:
    body = _from_openleadr(
        "oadrCreatedEvent",
        response={"response_code": 200, "response_description": "OK", "request_id": None},
        event_responses=[
            _openleadr_event_response("event-1", "optIn"),
            _openleadr_event_response("event-2", "optOut"),
            {**_openleadr_event_response("event-3", "optOut"), "response_code": 460, "response_description": None},
        ],
        ven_id="ven-1",
    )

    message = decode(body, official_schema).message

    assert isinstance(message, CreatedEvent)
    assert [(r.event_id, r.opt_type, r.response_code) for r in message.event_responses] == [
        ("event-1", "optIn", 200),
        ("event-2", "optOut", 200),
        ("event-3", "optOut", 460),
    ]
    assert message.event_responses[2].response_description is None


def test_created_event_without_event_responses(official_schema: etree.XMLSchema) -> None:
    body = _from_openleadr(
        "oadrCreatedEvent",
        response={"response_code": 200, "response_description": "OK", "request_id": "distribute-1"},
        ven_id="ven-1",
    )

    assert decode(body, official_schema).message == CreatedEvent(
        response=EiResponse(request_id="distribute-1"), ven_id="ven-1", event_responses=()
    )


# --- (c) what an OpenLEADR VEN makes of the VTN's oadrDistributeEvent -----------------------------


def _openleadr_events(message: DistributeEvent) -> list[dict[str, Any]]:
    message_type, payload = parse_message(encode(message))
    assert message_type == "oadrDistributeEvent"
    assert payload["request_id"] == message.request_id
    assert payload["vtn_id"] == message.vtn_id
    return cast(list[dict[str, Any]], payload.get("events", []))


def test_openleadr_sees_no_events() -> None:
    assert _openleadr_events(DISTRIBUTE_EVENTS["no events"]) == []


def test_openleadr_sees_the_events_signals_intervals_and_targets() -> None:
    message = DISTRIBUTE_EVENTS["several events"].model_copy(
        update={
            "events": tuple(
                event.model_copy(update={"targets": ALL_TARGET_KINDS})
                for event in DISTRIBUTE_EVENTS["several events"].events
            )
        }
    )

    seen = _openleadr_events(message)

    assert [event["event_descriptor"]["event_id"] for event in seen] == ["event-1", "event-2", "event-3"]
    assert [event["response_required"] for event in seen] == ["always", "always", "never"]
    first = seen[0]
    assert first["event_descriptor"]["event_status"] == "far"
    assert first["event_descriptor"]["created_date_time"] == CREATED
    assert first["event_descriptor"]["market_context"] == "http://market.example.com/dr"
    assert first["active_period"]["dtstart"] == START
    assert first["active_period"]["duration"] == timedelta(minutes=90)
    (signal,) = first["event_signals"]
    assert (signal["signal_name"], signal["signal_type"], signal["signal_id"]) == ("SIMPLE", "level", "signal-simple")
    assert signal["current_value"] == 0
    assert [(i["uid"], i["duration"], i["signal_payload"]) for i in signal["intervals"]] == [
        (0, timedelta(minutes=30), 1.0),
        (1, timedelta(minutes=30), 2.0),
        (2, timedelta(minutes=30), 3.0),
    ]
    assert first["targets_by_type"] == {
        "end_device_asset": [{"mrid": "Thermostat"}],
        "group_id": ["group-north"],
        "resource_id": ["resource-1", "resource-2"],
        "ven_id": ["ven-1", "ven-2"],
        "party_id": ["party-1"],
    }


def test_openleadr_sees_the_unit_of_a_price_signal() -> None:
    (event,) = _openleadr_events(DISTRIBUTE_EVENTS["ELECTRICITY_PRICE price in currency per kWh"])

    (signal,) = event["event_signals"]
    assert signal["signal_name"] == "ELECTRICITY_PRICE"
    assert signal["signal_type"] == "price"
    assert signal["measurement"] == {
        "name": "currencyPerKWh",
        "description": "currencyPerKWh",
        "unit": "USD",
        "scale": "none",
    }
    assert [i["signal_payload"] for i in signal["intervals"]] == [0.12, 0.31, 0.18]


def test_openleadr_sees_the_unit_of_a_dispatch_setpoint() -> None:
    (event,) = _openleadr_events(DISTRIBUTE_EVENTS["LOAD_DISPATCH setpoint in kW of real power"])

    (signal,) = event["event_signals"]
    assert signal["measurement"] == {
        "name": "powerReal",
        "description": "RealPower",
        "unit": "W",
        "scale": "k",
        "power_attributes": {"hertz": 60, "voltage": 240, "ac": True},
    }


def test_openleadr_sees_the_active_period_extensions() -> None:
    (event,) = _openleadr_events(DISTRIBUTE_EVENTS["tolerance, notification, ramp-up and recovery"])

    period = event["active_period"]
    assert period["tolerance"] == {"tolerate": {"startafter": timedelta(minutes=5)}}
    assert period["notification"] == timedelta(days=1)
    assert period["ramp_up"] == timedelta(minutes=15)
    assert period["recovery"] == timedelta(minutes=20)


def test_openleadr_sees_a_cancelled_test_event_with_comment() -> None:
    message = _distribute(
        _event(
            descriptor=_descriptor(
                "event-1",
                modification_number=4,
                event_status=EventStatus.CANCELLED,
                test_event=True,
                vtn_comment="drill",
            )
        )
    )

    (event,) = _openleadr_events(message)

    descriptor = event["event_descriptor"]
    assert descriptor["event_status"] == "cancelled"
    assert descriptor["modification_number"] == 4
    assert descriptor["test_event"] is True
    assert descriptor["vtn_comment"] == "drill"
