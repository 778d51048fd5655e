"""The event shapes certification tests ask an operator for, as admin-API/Kafka `CreateEvent` commands."""

from __future__ import annotations

from datetime import datetime, timedelta

from shared.contract.events import CreateEvent
from shared.oadr.event import ActivePeriod
from shared.oadr.signal import EventBaseline, EventSignal, Interval, SignalName, SignalType
from shared.oadr.target import Target
from shared.oadr.units import ItemBase, PowerAttributes

USD = ItemBase(name="currencyPerKWh", description="currencyPerKWh", units="USD", si_scale_code="none")
POWER = ItemBase(
    name="powerReal",
    description="RealPower",
    units="W",
    si_scale_code="k",
    power_attributes=PowerAttributes(hertz=60, voltage=120, ac=True),
)


def simple(value: float, duration: timedelta, signal_id: str = "s1") -> EventSignal:
    return EventSignal(
        signal_name=SignalName.SIMPLE,
        signal_type=SignalType.LEVEL,
        signal_id=signal_id,
        intervals=(Interval(duration=duration, payload=value),),
    )


def pending_in_ten_minutes(now: datetime, ven_id: str) -> CreateEvent:
    """One pending event 10 minutes out with one 5-minute interval, targeting two resourceIDs."""
    return CreateEvent(
        active_period=ActivePeriod(dtstart=now + timedelta(minutes=10), duration=timedelta(minutes=5)),
        signals=(simple(1, timedelta(minutes=5)),),
        targets=Target(ven_ids=(ven_id,), resource_ids=("resource-1", "resource-2")),
    )


def simple_and_price(now: datetime, ven_id: str) -> list[CreateEvent]:
    """Two simultaneous events, SIMPLE=2 and ELECTRICITY_PRICE=3.13."""
    period = ActivePeriod(dtstart=now + timedelta(minutes=1), duration=timedelta(minutes=30))
    price = EventSignal(
        signal_name=SignalName.ELECTRICITY_PRICE,
        signal_type=SignalType.PRICE,
        signal_id="price",
        intervals=(Interval(duration=timedelta(minutes=30), payload=3.13),),
        item_base=USD,
    )
    return [
        CreateEvent(
            active_period=period, signals=(simple(2, timedelta(minutes=30)),), targets=Target(ven_ids=(ven_id,))
        ),
        CreateEvent(active_period=period, signals=(price,), targets=Target(ven_ids=(ven_id,))),
    ]


def load_dispatch(now: datetime, ven_id: str) -> CreateEvent:
    """LOAD_DISPATCH setpoint 40 powerReal."""
    signal = EventSignal(
        signal_name=SignalName.LOAD_DISPATCH,
        signal_type=SignalType.SETPOINT,
        signal_id="dispatch",
        intervals=(Interval(duration=timedelta(hours=1), payload=40),),
        item_base=POWER,
    )
    return CreateEvent(
        active_period=ActivePeriod(dtstart=now + timedelta(minutes=5), duration=timedelta(hours=1)),
        signals=(signal,),
        targets=Target(ven_ids=(ven_id,)),
    )


def price_with_baseline(now: datetime, ven_id: str) -> CreateEvent:
    """ELECTRICITY_PRICE with two one-hour intervals and a baseline."""
    start, hour = now + timedelta(minutes=5), timedelta(hours=1)
    signal = EventSignal(
        signal_name=SignalName.ELECTRICITY_PRICE,
        signal_type=SignalType.PRICE,
        signal_id="price",
        intervals=(Interval(duration=hour, payload=0.12), Interval(duration=hour, payload=0.25)),
        item_base=USD,
    )
    baseline = EventBaseline(
        baseline_id="baseline-1",
        baseline_name="expected load",
        dtstart=start,
        duration=2 * hour,
        intervals=(Interval(duration=hour, payload=50), Interval(duration=hour, payload=55)),
        item_base=POWER,
    )
    return CreateEvent(
        active_period=ActivePeriod(dtstart=start, duration=2 * hour),
        signals=(signal,),
        baseline=baseline,
        targets=Target(ven_ids=(ven_id,)),
    )


def simple_one_minute_out(now: datetime, ven_id: str) -> CreateEvent:
    """SIMPLE level 2, one minute out."""
    return CreateEvent(
        active_period=ActivePeriod(dtstart=now + timedelta(minutes=1), duration=timedelta(minutes=10)),
        signals=(simple(2, timedelta(minutes=10)),),
        targets=Target(ven_ids=(ven_id,)),
    )


def every_shape(now: datetime, ven_id: str) -> list[CreateEvent]:
    return [
        pending_in_ten_minutes(now, ven_id),
        *simple_and_price(now, ven_id),
        load_dispatch(now, ven_id),
        price_with_baseline(now, ven_id),
        simple_one_minute_out(now, ven_id),
    ]
