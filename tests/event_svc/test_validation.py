"""Impossible events are refused with clear errors; the certification shapes pass."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from event_svc.validation import InvalidEvent, profile_problems, unreachable, validate_event
from shared.oadr.event import ActivePeriod, Event, EventDescriptor, EventStatus
from shared.oadr.profiles import OadrProfile
from shared.oadr.signal import EventSignal, Interval, SignalName, SignalType
from shared.oadr.target import Target
from tests.event_svc import shapes

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)
PERIOD = ActivePeriod(dtstart=NOW, duration=10 * MIN)
VEN = Target(ven_ids=("ven-1",))


def problems(period: ActivePeriod, *signals: EventSignal, targets: Target = VEN) -> list[str]:
    try:
        validate_event(period, signals, None, targets)
    except InvalidEvent as invalid:
        return invalid.problems
    return []


def signal(name: str, kind: SignalType, *payloads: float, **extra: object) -> EventSignal:
    duration = 10 * MIN / len(payloads)
    return EventSignal(
        signal_name=name,
        signal_type=kind,
        signal_id="s",
        intervals=tuple(Interval(duration=duration, payload=p) for p in payloads),
        **extra,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize("shape", shapes.every_shape(NOW, "ven-1"), ids=lambda s: s.signals[0].signal_name)
def test_every_certification_shape_is_valid(shape: object) -> None:
    from shared.contract.events import CreateEvent

    assert isinstance(shape, CreateEvent)
    validate_event(shape.active_period, shape.signals, shape.baseline, shape.targets)


def test_interval_durations_must_add_up_to_the_event_duration() -> None:
    short = EventSignal(
        signal_name=SignalName.SIMPLE,
        signal_type=SignalType.LEVEL,
        signal_id="s",
        intervals=(Interval(duration=4 * MIN, payload=1), Interval(duration=4 * MIN, payload=1)),
    )
    [problem] = problems(PERIOD, short)
    assert "add up to 0:08:00, not the duration 0:10:00" in problem


def test_an_open_ended_event_may_end_with_an_open_interval() -> None:
    open_ended = ActivePeriod(dtstart=NOW, duration=timedelta(0))
    last_open = EventSignal(
        signal_name=SignalName.SIMPLE,
        signal_type=SignalType.LEVEL,
        signal_id="s",
        intervals=(Interval(duration=MIN, payload=1), Interval(duration=timedelta(0), payload=2)),
    )
    assert problems(open_ended, last_open) == []
    assert problems(PERIOD, last_open.model_copy(update={"intervals": last_open.intervals[::-1]}))


def test_exactly_one_payload_per_interval() -> None:
    with pytest.raises(ValueError):
        Interval(duration=MIN, payload=[1, 2])  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        Interval(duration=MIN)  # type: ignore[call-arg]


def test_simple_is_a_level_from_0_to_3_without_item_base() -> None:
    assert problems(PERIOD, signal(SignalName.SIMPLE, SignalType.LEVEL, 2)) == []
    assert "signalType price is not one of level" in problems(PERIOD, signal(SignalName.SIMPLE, SignalType.PRICE, 2))[0]
    assert "levels are 0, 1, 2 or 3" in problems(PERIOD, signal(SignalName.SIMPLE, SignalType.LEVEL, 7))[0]
    assert (
        "takes no itemBase" in problems(PERIOD, signal(SignalName.SIMPLE, SignalType.LEVEL, 1, item_base=shapes.USD))[0]
    )


def test_electricity_price_needs_a_currency() -> None:
    assert problems(PERIOD, signal(SignalName.ELECTRICITY_PRICE, SignalType.PRICE, 3.13, item_base=shapes.USD)) == []
    assert "needs an itemBase" in problems(PERIOD, signal(SignalName.ELECTRICITY_PRICE, SignalType.PRICE, 3.13))[0]
    wrong_unit = signal(SignalName.ELECTRICITY_PRICE, SignalType.PRICE, 3.13, item_base=shapes.POWER)
    assert "itemBase powerReal is not one of currency" in problems(PERIOD, wrong_unit)[0]
    assert problems(PERIOD, signal(SignalName.ELECTRICITY_PRICE, SignalType.LEVEL, 1, item_base=shapes.USD))


def test_load_dispatch_setpoint_needs_power_real() -> None:
    assert problems(PERIOD, signal(SignalName.LOAD_DISPATCH, SignalType.SETPOINT, 40, item_base=shapes.POWER)) == []
    assert (
        "needs an itemBase (powerReal)"
        in problems(PERIOD, signal(SignalName.LOAD_DISPATCH, SignalType.SETPOINT, 40))[0]
    )


def test_load_control_takes_the_x_load_control_types() -> None:
    assert problems(PERIOD, signal(SignalName.LOAD_CONTROL, SignalType.LOAD_CONTROL_CAPACITY, 0.5)) == []
    assert problems(PERIOD, signal(SignalName.LOAD_CONTROL, SignalType.LEVEL, 1))


def test_extension_signal_names_take_any_type() -> None:
    assert problems(PERIOD, signal("x-custom", SignalType.MULTIPLIER, 1.5)) == []


def test_an_event_needs_targets_distinct_signal_ids_and_a_zoned_start() -> None:
    simple = signal(SignalName.SIMPLE, SignalType.LEVEL, 1)
    assert "at least one venID" in problems(PERIOD, simple, targets=Target())[0]
    assert "signalIDs must differ" in problems(PERIOD, simple, simple)[0]
    naive = ActivePeriod(dtstart=NOW.replace(tzinfo=None), duration=10 * MIN)
    assert "time zone" in problems(naive, simple)[0]


def test_every_problem_is_listed_at_once() -> None:
    bad = signal(SignalName.SIMPLE, SignalType.PRICE, 9)
    assert len(problems(PERIOD, bad, targets=Target())) == 3


def an_event(*signals: EventSignal) -> Event:
    return Event(
        descriptor=EventDescriptor(
            event_id="e",
            modification_number=0,
            market_context="http://m",
            created_date_time=NOW,
            event_status=EventStatus.FAR,
        ),
        active_period=PERIOD,
        signals=signals,
        targets=VEN,
    )


def test_an_event_every_profile_can_carry_has_no_profile_problems() -> None:
    assert profile_problems(an_event(signal(SignalName.SIMPLE, SignalType.LEVEL, 1))) == {}


def test_a_price_event_without_a_simple_signal_cannot_reach_2_0a_vens_only() -> None:
    priced = an_event(signal(SignalName.ENERGY_PRICE, SignalType.PRICE, 0.2))
    assert list(profile_problems(priced)) == [OadrProfile.A]


def test_a_refusal_names_the_vens_it_found_and_says_when_there_are_more() -> None:
    detail = unreachable("2.0a", ["reason one", "reason two"], ["v1", "v2", "v3"], shown=2)
    assert detail == "the event cannot reach the OpenADR 2.0a VENs it targets (v1, v2 and more): reason one; reason two"
    assert "(v1)" in unreachable("2.0a", ["r"], ["v1"], shown=10)
