"""What an OpenADR 2.0a VEN gets of an event (shared.oadr.profile_a): the SIMPLE signal alone, or nothing and
the reasons, following the 2.0a schema and profile specification (one "simple" signal, no baseline, no device
classes)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from shared.oadr import profile_a
from shared.oadr.event import ActivePeriod, Event, EventDescriptor, EventStatus
from shared.oadr.signal import EventBaseline, EventSignal, Interval, SignalName, SignalType
from shared.oadr.target import Target

START = datetime(2030, 1, 1, 12, tzinfo=UTC)
HOUR = timedelta(hours=1)
ONE_VEN = Target(ven_ids=("v",))


def signal(
    name: str = SignalName.SIMPLE, signal_type: SignalType = SignalType.LEVEL, signal_id: str = "s", **extra: object
) -> EventSignal:
    return EventSignal(
        signal_name=name,
        signal_type=signal_type,
        signal_id=signal_id,
        intervals=(Interval(duration=HOUR, payload=1),),
        **extra,  # type: ignore[arg-type]
    )


def event(*signals: EventSignal, targets: Target = ONE_VEN, **extra: object) -> Event:
    return Event(
        descriptor=EventDescriptor(
            event_id="e",
            modification_number=1,
            market_context="http://m",
            created_date_time=START,
            event_status=EventStatus.FAR,
            modification_date_time=START,
            modification_reason="moved",
        ),
        active_period=ActivePeriod(dtstart=START, duration=HOUR),
        signals=signals,
        targets=targets,
        **extra,  # type: ignore[arg-type]
    )


def test_a_simple_event_reaches_a_2_0a_ven_with_the_2_0a_spelling_a_current_value_and_a_notification() -> None:
    reduced = profile_a.reduced(event(signal()))
    assert reduced is not None
    [only] = reduced.signals
    assert (only.signal_name, only.signal_type, only.current_value) == ("simple", SignalType.LEVEL, 0.0)
    assert reduced.active_period.x_ei_notification == timedelta(0)  # required by the 2.0a schema
    assert (reduced.descriptor.modification_date_time, reduced.descriptor.modification_reason) == (None, None)


def test_a_price_event_with_a_simple_signal_reaches_a_2_0a_ven_as_that_signal_alone() -> None:
    price = signal(SignalName.ELECTRICITY_PRICE, SignalType.PRICE, "price")
    baseline = EventBaseline(
        baseline_id="b",
        baseline_name="b",
        dtstart=START,
        duration=HOUR,
        intervals=(Interval(duration=HOUR, payload=5),),
    )
    reduced = profile_a.reduced(event(price, signal(signal_id="levels"), baseline=baseline))
    assert reduced is not None
    assert [s.signal_id for s in reduced.signals] == ["levels"]
    assert reduced.baseline is None


def test_reducing_twice_changes_nothing() -> None:
    once = profile_a.reduced(event(signal()))
    assert once is not None and profile_a.reduced(once) == once


def test_an_event_without_a_simple_signal_cannot_reach_a_2_0a_ven() -> None:
    priced = event(signal(SignalName.ELECTRICITY_PRICE, SignalType.PRICE, "price"))
    assert profile_a.reduced(priced) is None
    assert profile_a.problems(priced) == [
        "an OpenADR 2.0a VEN takes an event's one SIMPLE signal, and this event has 0"
    ]


def test_an_event_with_two_simple_signals_cannot_reach_a_2_0a_ven() -> None:
    assert "this event has 2" in profile_a.problems(event(signal(signal_id="a"), signal(signal_id="b")))[0]


def test_narrowing_to_device_classes_cannot_reach_a_2_0a_ven() -> None:
    narrowed_signal = event(signal(targets=Target(end_device_assets=("Thermostat",))))
    narrowed_event = event(signal(), targets=Target(ven_ids=("v",), end_device_assets=("Thermostat",)))
    assert "narrowed by a target" in profile_a.problems(narrowed_signal)[0]
    assert "device classes" in profile_a.problems(narrowed_event)[0]


def test_left_out_names_each_event_a_2_0a_ven_cannot_get() -> None:
    good = event(signal())
    bad = event(signal(SignalName.ENERGY_PRICE, SignalType.PRICE)).model_copy(
        update={"descriptor": good.descriptor.model_copy(update={"event_id": "priced"})}
    )
    assert [event_id for event_id, _ in profile_a.left_out((good, bad))] == ["priced"]
