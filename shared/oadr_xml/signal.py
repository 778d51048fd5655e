"""XML mapping of ei:eiEventSignals: the event signals, their intervals and the optional baseline."""

from __future__ import annotations

from collections.abc import Sequence

from lxml import etree

from shared.oadr.signal import EventBaseline, EventSignal, Interval
from shared.oadr_xml.namespaces import EI, STRM, q
from shared.oadr_xml.target import add_target
from shared.oadr_xml.tree import add
from shared.oadr_xml.units import add_item_base
from shared.oadr_xml.xcal import add_dtstart, add_duration_property, add_uid

EVENT_SIGNALS = q(EI, "eiEventSignals")
EVENT_SIGNAL = q(EI, "eiEventSignal")
EVENT_BASELINE = q(EI, "eiEventBaseline")
EI_TARGET = q(EI, "eiTarget")
INTERVALS = q(STRM, "intervals")
INTERVAL = q(EI, "interval")
SIGNAL_PAYLOAD = q(EI, "signalPayload")
CURRENT_VALUE = q(EI, "currentValue")
PAYLOAD_FLOAT = q(EI, "payloadFloat")
VALUE = q(EI, "value")
SIGNAL_NAME = q(EI, "signalName")
SIGNAL_TYPE = q(EI, "signalType")
SIGNAL_ID = q(EI, "signalID")
BASELINE_ID = q(EI, "baselineID")
BASELINE_NAME = q(EI, "baselineName")
RESOURCE_ID = q(EI, "resourceID")


def _add_payload_float(parent: etree._Element, value: float) -> None:
    add(add(parent, PAYLOAD_FLOAT), VALUE, repr(value))


def _add_intervals(parent: etree._Element, intervals: Sequence[Interval]) -> None:
    element = add(parent, INTERVALS)
    for position, interval in enumerate(intervals):
        block = add(element, INTERVAL)
        add_duration_property(block, interval.duration)
        add_uid(block, str(position) if interval.uid is None else interval.uid)
        _add_payload_float(add(block, SIGNAL_PAYLOAD), interval.payload)


def _add_event_signal(parent: etree._Element, signal: EventSignal) -> None:
    element = add(parent, EVENT_SIGNAL)
    _add_intervals(element, signal.intervals)
    if signal.targets is not None:
        add_target(element, EI_TARGET, signal.targets)
    add(element, SIGNAL_NAME, str(signal.signal_name))
    add(element, SIGNAL_TYPE, str(signal.signal_type))
    add(element, SIGNAL_ID, signal.signal_id)
    if signal.item_base is not None:
        add_item_base(element, signal.item_base)
    if signal.current_value is not None:
        _add_payload_float(add(element, CURRENT_VALUE), signal.current_value)


def _add_baseline(parent: etree._Element, baseline: EventBaseline) -> None:
    element = add(parent, EVENT_BASELINE)
    add_dtstart(element, baseline.dtstart)
    add_duration_property(element, baseline.duration)
    _add_intervals(element, baseline.intervals)
    add(element, BASELINE_ID, baseline.baseline_id)
    for resource_id in baseline.resource_ids:
        add(element, RESOURCE_ID, resource_id)
    add(element, BASELINE_NAME, baseline.baseline_name)
    if baseline.item_base is not None:
        add_item_base(element, baseline.item_base)


def add_event_signals(parent: etree._Element, signals: Sequence[EventSignal], baseline: EventBaseline | None) -> None:
    """Append ei:eiEventSignals: every signal, then the baseline (the XSD sequence order)."""
    element = add(parent, EVENT_SIGNALS)
    for signal in signals:
        _add_event_signal(element, signal)
    if baseline is not None:
        _add_baseline(element, baseline)
