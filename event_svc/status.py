"""Where an event stands at a given instant: eventStatus, each signal's currentValue, and the next instant
either of them changes (so a periodic job can re-deliver far -> near -> active -> completed on time).

Pure: no I/O. The rules are the certification rules for oadrDistributeEvent:
- cancelled stays cancelled;
- before dtstart minus ramp-up: far; within the ramp-up: near;
- within [dtstart, dtstart + duration), or after dtstart when the duration is 0 (open-ended): active;
- after: completed;
- currentValue is 0 unless the event is active, and then the payload of the interval executing now.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from shared.oadr.event import ActivePeriod, Event, EventStatus
from shared.oadr.signal import EventSignal

ZERO = timedelta(0)


def event_end(period: ActivePeriod) -> datetime | None:
    """dtstart + duration; None for an open-ended event (duration 0)."""
    return None if period.duration == ZERO else period.dtstart + period.duration


def status_at(period: ActivePeriod, cancelled: bool, now: datetime) -> EventStatus:
    if cancelled:
        return EventStatus.CANCELLED
    ramp_up = period.x_ei_ramp_up or ZERO
    if now < period.dtstart - ramp_up:
        return EventStatus.FAR
    if now < period.dtstart:
        return EventStatus.NEAR
    end = event_end(period)
    if end is None or now < end:
        return EventStatus.ACTIVE
    return EventStatus.COMPLETED


def count_by_status(events: Iterable[tuple[ActivePeriod, bool]], now: datetime) -> dict[EventStatus, int]:
    """How many of (active period, cancelled) pairs are in each eventStatus at `now`."""
    return dict(Counter(status_at(period, cancelled, now) for period, cancelled in events))


def _interval_starts(period: ActivePeriod, signal: EventSignal) -> Iterator[tuple[datetime, float]]:
    start = period.dtstart
    for interval in signal.intervals:
        yield start, interval.payload
        start += interval.duration


def current_value(period: ActivePeriod, signal: EventSignal, status: EventStatus, now: datetime) -> float:
    if status is not EventStatus.ACTIVE:
        return 0.0
    value = 0.0
    for start, payload in _interval_starts(period, signal):
        if start > now:
            break
        value = payload
    return value


def next_change(
    period: ActivePeriod, signals: tuple[EventSignal, ...], cancelled: bool, now: datetime
) -> datetime | None:
    """The first instant after `now` when the status or a currentValue changes; None if neither ever will."""
    if cancelled:
        return None
    instants = {period.dtstart - (period.x_ei_ramp_up or ZERO), period.dtstart}
    end = event_end(period)
    if end is not None:
        instants.add(end)
    for signal in signals:
        instants.update(start for start, _ in _interval_starts(period, signal) if end is None or start < end)
    upcoming = [instant for instant in instants if instant > now]
    return min(upcoming) if upcoming else None


def delivered_until(period: ActivePeriod, cancelled_at: datetime | None, retention: timedelta) -> datetime | None:
    """When the event ages out of VENs' sets: `retention` after it completed or was cancelled."""
    if cancelled_at is not None:
        end = event_end(period)
        return max(cancelled_at, end) + retention if end is not None else cancelled_at + retention
    end = event_end(period)
    return None if end is None else end + retention


@dataclass(frozen=True)
class EventSchedule:
    """The instants derived from an event that the store filters on."""

    starts_at: datetime
    ends_at: datetime | None
    delivered_until: datetime | None
    next_change_at: datetime | None


def schedule(event: Event, cancelled: bool, now: datetime, retention: timedelta) -> EventSchedule:
    """When the event starts and ends, when it ages out, and when a VEN's view of it next changes (its
    status, a currentValue, or its leaving the set)."""
    period = event.active_period
    cancelled_at = (event.descriptor.modification_date_time or now) if cancelled else None
    until = delivered_until(period, cancelled_at, retention)
    upcoming = [t for t in (next_change(period, event.signals, cancelled, now), until) if t is not None and t > now]
    return EventSchedule(
        starts_at=period.dtstart,
        ends_at=event_end(period),
        delivered_until=until,
        next_change_at=min(upcoming) if upcoming else None,
    )
