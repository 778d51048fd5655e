"""Events as OpenLEADR handlers return them (`on_request_event`, `on_poll`), converted into this project's models.

Pure: no I/O, and no import of OpenLEADR (its `objects.Event` dataclasses are read through
`dataclasses.asdict`, exactly like the dicts OpenLEADR also accepts). What OpenLEADR fills in, this fills in
too: created_date_time (now), modification_number (0), response_required ("always"), and the active period
from the intervals' dtstart when it is missing. Like OpenLEADR's VTN, the eventStatus is worked out from the
clock unless the handler says "cancelled" (OpenLEADR's utils.determine_event_status). A signal's currentValue
is kept as given, except that it is 0 while the event is not active (OpenLEADR's preflight rule for SIMPLE,
which the spec states for every signal); a missing one is filled in (the payload of the interval running now,
0 when not active). Events without targets are addressed to the VEN that asked. Events come out in the
VTN's delivery order (priority, 1 first and 0 last, then start). Anything that cannot become a valid
event raises `InvalidHandlerEvents`.

Used by event_svc (VTN_ON_REQUEST_EVENT) and registration_svc (VTN_ON_POLL), hence in shared.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, is_dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import ValidationError

from shared.oadr.event import ActivePeriod, Event, EventDescriptor, EventStatus, ResponseRequired
from shared.oadr.signal import EventSignal
from shared.oadr.target import Target
from shared.oadr.units import ItemBase


class InvalidHandlerEvents(ValueError):
    """The handler returned something that is not a list of OpenLEADR events."""


# OpenLEADR target keys -> this project's Target fields (end_device_asset is a {"mrid": ...} object).
_TARGET_FIELDS = {"ven_id": "ven_ids", "group_id": "group_ids", "resource_id": "resource_ids", "party_id": "party_ids"}


def _plain(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return asdict(value)
    return value


def _mapping(value: Any, what: str) -> Mapping[str, Any]:
    value = _plain(value)
    if not isinstance(value, Mapping):
        raise InvalidHandlerEvents(f"{what} must be an OpenLEADR object or a dict, not {type(value).__name__}")
    return value


def _present(source: Mapping[str, Any], *keys: str) -> dict[str, Any]:
    return {key: source[key] for key in keys if source.get(key) is not None}


def _targets(raw: Any, by_type: Any, ven_id: str | None) -> Target:
    fields: dict[str, list[str]] = {name: [] for name in (*_TARGET_FIELDS.values(), "end_device_assets")}
    items: list[Mapping[str, Any]] = [_mapping(item, "a target") for item in raw or ()]
    for key, values in _mapping(by_type or {}, "targets_by_type").items():
        for value in values if isinstance(values, list | tuple) else [values]:
            items.append({key: value})
    for item in items:
        for key, value in item.items():
            if value is None:
                continue
            if key in _TARGET_FIELDS:
                if value not in fields[_TARGET_FIELDS[key]]:
                    fields[_TARGET_FIELDS[key]].append(str(value))
            elif key == "end_device_asset":
                mrid = _mapping(value, "end_device_asset").get("mrid")
                if mrid is not None and mrid not in fields["end_device_assets"]:
                    fields["end_device_assets"].append(str(mrid))
            else:
                raise InvalidHandlerEvents(
                    f"target type {key!r} is not supported (venID, groupID, resourceID, partyID, endDeviceAsset)"
                )
    addressed = fields["ven_ids"] or fields["group_ids"] or fields["resource_ids"] or fields["party_ids"]
    if ven_id is not None and not addressed:
        fields["ven_ids"].append(ven_id)
    return Target(**{name: tuple(values) for name, values in fields.items()})


def _signal_targets(signal: Mapping[str, Any]) -> Target | None:
    if not signal.get("targets") and not signal.get("targets_by_type"):
        return None
    return _targets(signal.get("targets"), signal.get("targets_by_type"), None)


def _item_base(raw: Any) -> ItemBase | None:
    if raw is None:
        return None
    measurement = _mapping(raw, "measurement")
    attributes = measurement.get("power_attributes")
    scale = measurement.get("scale")
    if scale is None and measurement.get("name") != "pulseCount":
        scale = "none"  # OpenLEADR's Measurement leaves the scale out; the schema needs one (no scaling)
    return ItemBase.model_validate(
        {
            "name": measurement.get("name"),
            "description": measurement.get("description"),
            "units": measurement.get("unit"),
            "si_scale_code": scale,
            "power_attributes": dict(_mapping(attributes, "power_attributes")) if attributes is not None else None,
            "pulse_factor": measurement.get("pulse_factor"),
        }
    )


def _signal(raw: Any) -> tuple[EventSignal, list[Mapping[str, Any]]]:
    signal = _mapping(raw, "an event signal")
    intervals = [_mapping(interval, "an interval") for interval in signal.get("intervals") or ()]
    model = EventSignal.model_validate(
        {
            "signal_name": signal.get("signal_name"),
            "signal_type": signal.get("signal_type"),
            "signal_id": signal.get("signal_id"),
            "intervals": [{"duration": i.get("duration"), "payload": i.get("signal_payload")} for i in intervals],
            "targets": _signal_targets(signal),
            "item_base": _item_base(signal.get("measurement")),
        }
    )
    return model, intervals


def _aware(value: Any) -> Any:
    """A naive datetime is local time, as OpenLEADR reads it (utils.determine_event_status)."""
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.astimezone(UTC)
    return value


def _active_period(raw: Any, intervals: list[Mapping[str, Any]]) -> ActivePeriod:
    if raw is None:
        # As OpenLEADR's Event does: from the first interval's start to the last interval's end.
        starts = [_aware(i["dtstart"]) for i in intervals if i.get("dtstart") is not None]
        if not starts or len(starts) != len(intervals):
            raise InvalidHandlerEvents("an event needs an active_period, or a dtstart on every interval")
        start = min(starts)
        end = max(_aware(i["dtstart"]) + i["duration"] for i in intervals)
        return ActivePeriod(dtstart=start, duration=end - start)
    period = _mapping(raw, "active_period")
    tolerance = period.get("tolerance") or {}
    start_after = _mapping(tolerance, "tolerance").get("startafter")
    if start_after is None:
        start_after = _mapping(tolerance.get("tolerate") or {}, "tolerance").get("startafter")
    return ActivePeriod.model_validate(
        {
            "dtstart": _aware(period.get("dtstart")),
            "duration": period.get("duration"),
            "start_after": start_after,
            "x_ei_notification": period.get("notification_period"),
            "x_ei_ramp_up": period.get("ramp_up_period"),
            "x_ei_recovery": period.get("recovery_period"),
        }
    )


ZERO = timedelta(0)
_OPTIONAL_DESCRIPTOR_FIELDS = ("modification_date_time", "modification_reason", "priority", "test_event", "vtn_comment")
LEAST_IMPORTANT = 2**33


def status_at(period: ActivePeriod, cancelled: bool, now: datetime) -> EventStatus:
    """OpenLEADR's determine_event_status, plus cancellation (which OpenLEADR keeps as given)."""
    if cancelled:
        return EventStatus.CANCELLED
    if period.duration > ZERO and now >= period.dtstart + period.duration:
        return EventStatus.COMPLETED
    if now >= period.dtstart:
        return EventStatus.ACTIVE
    if period.x_ei_ramp_up is not None and now >= period.dtstart - period.x_ei_ramp_up:
        return EventStatus.NEAR
    return EventStatus.FAR


def current_value(period: ActivePeriod, signal: EventSignal, status: EventStatus, now: datetime) -> float:
    if status is not EventStatus.ACTIVE:
        return 0.0
    if signal.current_value is not None:
        return signal.current_value
    start = period.dtstart
    for interval in signal.intervals:
        if now < start + interval.duration:
            return interval.payload
        start += interval.duration
    return signal.intervals[-1].payload  # an open-ended event stays at its last interval


def delivery_order(event: Event) -> tuple[int, datetime, str]:
    priority = event.descriptor.priority
    return (priority if priority else LEAST_IMPORTANT, event.active_period.dtstart, event.descriptor.event_id)


def _event(raw: Any, ven_id: str, now: datetime) -> Event:
    event = _mapping(raw, "an event")
    descriptor = _mapping(event.get("event_descriptor"), "event_descriptor")
    converted = [_signal(signal) for signal in event.get("event_signals") or ()]
    period = _active_period(event.get("active_period"), [i for _, intervals in converted for i in intervals])
    cancelled = str(descriptor.get("event_status", "")).lower() == EventStatus.CANCELLED
    status = status_at(period, cancelled, now)
    signals = tuple(
        signal.model_copy(update={"current_value": current_value(period, signal, status, now)})
        for signal, _ in converted
    )
    modification_number = descriptor.get("modification_number")
    response_required = event.get("response_required")
    return Event(
        descriptor=EventDescriptor.model_validate(
            {
                "event_id": descriptor.get("event_id"),
                "modification_number": 0 if modification_number is None else modification_number,
                "market_context": descriptor.get("market_context"),
                "created_date_time": descriptor.get("created_date_time") or now,
                "event_status": status,
                **_present(descriptor, *_OPTIONAL_DESCRIPTOR_FIELDS),
            }
        ),
        active_period=period,
        signals=signals,
        targets=_targets(event.get("targets"), event.get("targets_by_type"), ven_id),
        response_required=ResponseRequired(response_required if response_required in ("always", "never") else "always"),
    )


def events_from_handler(result: Any, ven_id: str, now: datetime) -> tuple[Event, ...]:
    """The events an OpenLEADR handler returned for `ven_id` (None, one event, or a list), in delivery order."""
    if result is None:
        return ()
    items = list(result) if isinstance(result, list | tuple) else [result]
    try:
        events = [_event(item, ven_id, now) for item in items]
    except InvalidHandlerEvents:
        raise
    except (ValidationError, KeyError, TypeError, AttributeError) as error:
        raise InvalidHandlerEvents(f"not a valid OpenLEADR event: {error}") from error
    return tuple(sorted(events, key=delivery_order))
