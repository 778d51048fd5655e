"""eventStatus and currentValue agree with the clock (certification rules for oadrDistributeEvent)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from event_svc.status import current_value, delivered_until, event_end, next_change, schedule, status_at
from shared.oadr.event import ActivePeriod, EventStatus
from shared.oadr.signal import EventSignal, Interval, SignalName, SignalType

T0 = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)
PERIOD = ActivePeriod(dtstart=T0, duration=10 * MIN, x_ei_ramp_up=2 * MIN)
SIGNAL = EventSignal(
    signal_name=SignalName.SIMPLE,
    signal_type=SignalType.LEVEL,
    signal_id="s",
    intervals=(Interval(duration=4 * MIN, payload=1), Interval(duration=6 * MIN, payload=3)),
)


def test_before_dtstart_minus_ramp_up_is_far() -> None:
    assert status_at(PERIOD, False, T0 - 3 * MIN) is EventStatus.FAR


def test_within_ramp_up_is_near() -> None:
    assert status_at(PERIOD, False, T0 - 2 * MIN) is EventStatus.NEAR
    assert status_at(PERIOD, False, T0 - timedelta(seconds=1)) is EventStatus.NEAR


def test_without_ramp_up_there_is_no_near() -> None:
    period = PERIOD.model_copy(update={"x_ei_ramp_up": None})
    assert status_at(period, False, T0 - timedelta(seconds=1)) is EventStatus.FAR


def test_within_the_active_period_is_active_and_the_end_is_excluded() -> None:
    assert status_at(PERIOD, False, T0) is EventStatus.ACTIVE
    assert status_at(PERIOD, False, T0 + 10 * MIN - timedelta(seconds=1)) is EventStatus.ACTIVE
    assert status_at(PERIOD, False, T0 + 10 * MIN) is EventStatus.COMPLETED


def test_open_ended_event_stays_active_after_start() -> None:
    period = ActivePeriod(dtstart=T0, duration=timedelta(0))
    assert status_at(period, False, T0 + timedelta(days=30)) is EventStatus.ACTIVE
    assert event_end(period) is None


def test_cancelled_stays_cancelled_whatever_the_clock() -> None:
    for moment in (T0 - 10 * MIN, T0, T0 + 20 * MIN):
        assert status_at(PERIOD, True, moment) is EventStatus.CANCELLED


def test_current_value_is_zero_unless_active() -> None:
    assert current_value(PERIOD, SIGNAL, EventStatus.NEAR, T0 - MIN) == 0
    assert current_value(PERIOD, SIGNAL, EventStatus.COMPLETED, T0 + 11 * MIN) == 0
    assert current_value(PERIOD, SIGNAL, EventStatus.CANCELLED, T0 + MIN) == 0


def test_current_value_is_the_payload_of_the_interval_executing_now() -> None:
    assert current_value(PERIOD, SIGNAL, EventStatus.ACTIVE, T0) == 1
    assert current_value(PERIOD, SIGNAL, EventStatus.ACTIVE, T0 + 4 * MIN - timedelta(seconds=1)) == 1
    assert current_value(PERIOD, SIGNAL, EventStatus.ACTIVE, T0 + 4 * MIN) == 3


def test_next_change_walks_far_near_active_intervals_completed() -> None:
    seen, moment = [], T0 - 30 * MIN
    while (moment := next_change(PERIOD, (SIGNAL,), False, moment)) is not None:  # type: ignore[assignment]
        seen.append(moment)
    assert seen == [T0 - 2 * MIN, T0, T0 + 4 * MIN, T0 + 10 * MIN]


def test_a_cancelled_event_changes_no_more() -> None:
    assert next_change(PERIOD, (SIGNAL,), True, T0) is None


def test_events_age_out_after_retention() -> None:
    day = timedelta(days=1)
    assert delivered_until(PERIOD, None, day) == T0 + 10 * MIN + day
    assert delivered_until(PERIOD, T0 - 5 * MIN, day) == T0 + 10 * MIN + day
    assert delivered_until(ActivePeriod(dtstart=T0, duration=timedelta(0)), None, day) is None


def test_schedule_includes_ageing_out_as_a_change() -> None:
    from shared.oadr.event import Event, EventDescriptor

    event = Event(
        descriptor=EventDescriptor(
            event_id="e",
            modification_number=0,
            market_context="http://m",
            created_date_time=T0,
            event_status=EventStatus.NONE,
        ),
        active_period=PERIOD,
        signals=(SIGNAL,),
    )
    late = schedule(event, False, T0 + 11 * MIN, timedelta(hours=1))
    assert late.next_change_at == T0 + 10 * MIN + timedelta(hours=1)
    assert schedule(event, False, T0 + 2 * timedelta(hours=1), timedelta(hours=1)).next_change_at is None
