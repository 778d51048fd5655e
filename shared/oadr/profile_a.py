"""What an OpenADR 2.0a VEN gets of an event, and why some events cannot reach one (pure).

The 2.0a event model (oadr_20a.xsd and the 2.0a profile specification) is a subset of 2.0b's:
- one signal only, named "simple", of type level, with payloads 0 (normal), 1 (moderate), 2 (high) or
  3 (special); 2.0b's signal table lists SIMPLE as the 2.0a-compatible signal and keeps "simple" as its
  2.0a spelling;
- no baseline, no signal-level target (device class), no itemBase;
- an eiTarget of venIDs, groupIDs, resourceIDs and partyIDs only (no endDeviceAsset);
- an eventDescriptor without modificationDateTime and modificationReason;
- an active period whose x-eiNotification is required.

The rule: a 2.0a VEN gets an event as its SIMPLE signal alone, which is what the SIMPLE signal exists for
(a price event for 2.0b VENs can carry one for the simple devices). Other signals, the baseline and the
modification's date and reason are left out; they tell a 2.0a VEN nothing it could act on. What cannot be
left out without changing what the event asks is refused: an event with no SIMPLE signal, or more than one
(which of them would the VEN get?), a SIMPLE signal narrowed to some of the VEN's devices, or an event narrowed
to device classes (2.0a cannot narrow, so the VEN would apply it to everything). event_svc refuses such an
event when it targets 2.0a VENs (`problems`); the 2.0a codec renders `reduced` events.
"""

from __future__ import annotations

from datetime import timedelta

from shared.oadr.event import Event
from shared.oadr.signal import EventSignal, SignalName
from shared.oadr.target import Target

SIMPLE_NAMES = frozenset({SignalName.SIMPLE, SignalName.SIMPLE_LEGACY})
NO_NOTICE = timedelta(0)


def _simple_signals(event: Event) -> list[EventSignal]:
    return [signal for signal in event.signals if signal.signal_name in SIMPLE_NAMES]


def problems(event: Event) -> list[str]:
    """Why `event` cannot reach a 2.0a VEN, one sentence each; none when it can."""
    found: list[str] = []
    simple = _simple_signals(event)
    if len(simple) != 1:
        found.append(f"an OpenADR 2.0a VEN takes an event's one SIMPLE signal, and this event has {len(simple)}")
    elif simple[0].targets is not None and simple[0].targets != Target():
        found.append(
            f"its SIMPLE signal {simple[0].signal_id!r} is narrowed by a target, which OpenADR 2.0a cannot express"
        )
    if event.targets.end_device_assets:
        found.append("it targets device classes (endDeviceAsset), which an OpenADR 2.0a eiTarget cannot name")
    return found


def reduced(event: Event) -> Event | None:
    """The event as a 2.0a VEN gets it (its SIMPLE signal alone, named "simple", with a currentValue; no
    baseline; a notification period, zero if none), or None when it cannot reach one (`problems`)."""
    if problems(event):
        return None
    [simple] = _simple_signals(event)
    signal = simple.model_copy(
        update={
            "signal_name": SignalName.SIMPLE_LEGACY,
            "targets": None,
            "item_base": None,
            "current_value": simple.current_value or 0.0,
        }
    )
    descriptor = event.descriptor.model_copy(update={"modification_date_time": None, "modification_reason": None})
    period = event.active_period
    if period.x_ei_notification is None:
        period = period.model_copy(update={"x_ei_notification": NO_NOTICE})
    return event.model_copy(
        update={"descriptor": descriptor, "active_period": period, "signals": (signal,), "baseline": None}
    )


def left_out(events: tuple[Event, ...]) -> list[tuple[str, list[str]]]:
    """The events of a set that a 2.0a VEN cannot get, each with why: the 2.0a renderer leaves them out."""
    return [(event.descriptor.event_id, found) for event in events if (found := problems(event))]
