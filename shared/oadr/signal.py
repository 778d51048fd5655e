"""Event signals and baselines: what an event asks of a VEN, interval by interval (ei:eiEventSignals)."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated, TypeAlias

from pydantic import AfterValidator, Field, StringConstraints

from shared.oadr.common import OadrModel
from shared.oadr.target import Target
from shared.oadr.units import ItemBase


def _whole_seconds(value: timedelta) -> timedelta:
    if value.microseconds:
        raise ValueError("event durations are whole seconds (the schema's xcal:DurationValueType)")
    return value


Seconds: TypeAlias = Annotated[timedelta, AfterValidator(_whole_seconds)]


class SignalName(StrEnum):
    """The signal names the 2.0b schema enumerates (ei:SignalNameEnumeratedType)."""

    SIMPLE = "SIMPLE"
    SIMPLE_LEGACY = "simple"  # deprecated by the schema, kept for 2.0a compatibility
    ELECTRICITY_PRICE = "ELECTRICITY_PRICE"
    ENERGY_PRICE = "ENERGY_PRICE"
    DEMAND_CHARGE = "DEMAND_CHARGE"
    BID_PRICE = "BID_PRICE"
    BID_LOAD = "BID_LOAD"
    BID_ENERGY = "BID_ENERGY"
    CHARGE_STATE = "CHARGE_STATE"
    LOAD_DISPATCH = "LOAD_DISPATCH"
    LOAD_CONTROL = "LOAD_CONTROL"


# Beyond the enumeration, the schema admits extension names of the form "x-..." (ei:EiExtensionTokenType).
ExtensionSignalName: TypeAlias = Annotated[str, StringConstraints(pattern=r"^x-\S.*$")]


class SignalType(StrEnum):
    """How a signal's payloads are to be read (ei:SignalTypeEnumeratedType)."""

    DELTA = "delta"
    LEVEL = "level"
    MULTIPLIER = "multiplier"
    PRICE = "price"
    PRICE_MULTIPLIER = "priceMultiplier"
    PRICE_RELATIVE = "priceRelative"
    SETPOINT = "setpoint"
    LOAD_CONTROL_CAPACITY = "x-loadControlCapacity"
    LOAD_CONTROL_LEVEL_OFFSET = "x-loadControlLevelOffset"
    LOAD_CONTROL_PERCENT_OFFSET = "x-loadControlPercentOffset"
    LOAD_CONTROL_SETPOINT = "x-loadControlSetpoint"


class Interval(OadrModel):
    """One ei:interval of a signal or baseline: its length and its single payloadFloat.

    Intervals follow each other from the event's (or baseline's) dtstart, so they carry no start of
    their own. `uid` defaults, when rendered, to the interval's position (0, 1, ...), which is what
    the spec's examples use and what OpenLEADR VENs expect (they read it as an integer).
    """

    duration: Seconds
    payload: float
    uid: str | None = None


Intervals: TypeAlias = Annotated[tuple[Interval, ...], Field(min_length=1)]


class EventSignal(OadrModel):
    """One ei:eiEventSignal.

    `targets` optionally narrows the signal to a device class; the spec uses only the
    endDeviceAsset element there (Target.end_device_assets). `current_value` is the payload of the
    interval executing now (0 for a SIMPLE event that is not active yet).
    """

    signal_name: SignalName | ExtensionSignalName
    signal_type: SignalType
    signal_id: str
    intervals: Intervals
    targets: Target | None = None
    item_base: ItemBase | None = None
    current_value: float | None = None


class EventBaseline(OadrModel):
    """The optional ei:eiEventBaseline: the load the VTN expects without the event, for comparison."""

    baseline_id: str
    baseline_name: str
    dtstart: datetime
    duration: Seconds
    intervals: Intervals
    resource_ids: tuple[str, ...] = ()
    item_base: ItemBase | None = None
