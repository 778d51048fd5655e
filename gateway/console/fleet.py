"""The fleet's figures for the console: counts taken now and then, moved in between by the Kafka facts. Pure.

Counting (registration_svc's `count_vens`, event_svc's `count_events`) is exact but reads the whole
directory, so each gateway does it every VTN_CONSOLE_FLEET_REFRESH_SECONDS, for all its viewers at once.
Between two counts the facts move the headline figures: a VEN coming online or going offline
(oadr.presence.events.v1), a registration created or cancelled (oadr.registration.events.v1); a fact that
happened before the count it would change is already in it and is skipped. The next count replaces any
drift (a fact's VEN not registered, a profile the facts do not carry). Report intervals
(oadr.report.data.v1) and VENs' answers (oadr.event.responses.v1) are counted per minute as they arrive.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

from pydantic import BaseModel

from shared.contract.backend_events import PresenceEvent, PresenceStatus, RegistrationChange, RegistrationEvent
from shared.contract.events import EventCounts, EventResponseFact
from shared.contract.operator import VenCounts
from shared.oadr.event import EventStatus

WINDOW_MINUTES = 15
SHOWN_EVENT_STATUSES = (EventStatus.FAR, EventStatus.NEAR, EventStatus.ACTIVE)


class ProfileTransportRow(BaseModel):
    profile_name: str | None
    transport_name: str | None
    registered: int
    online: int
    offline: int


class MinuteCount(BaseModel):
    minute: datetime
    count: int


class MinuteAnswers(BaseModel):
    minute: datetime
    opt_in: int
    opt_out: int


class FleetSummary(BaseModel):
    """What the Fleet page shows; `vens_counted_at`/`events_counted_at` are None until the first count."""

    as_of: datetime
    vens_counted_at: datetime | None
    events_counted_at: datetime | None
    known: int
    registered: int
    online: int
    offline: int
    by_profile_transport: list[ProfileTransportRow]
    events: dict[str, int]
    report_intervals_per_minute: list[MinuteCount]
    answers_per_minute: list[MinuteAnswers]


def minute_of(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(second=0, microsecond=0)


class FleetState:
    def __init__(self) -> None:
        self._vens: VenCounts | None = None
        self._events: EventCounts | None = None
        self._online_moved = 0
        self._registered_moved = 0
        self._intervals: Counter[datetime] = Counter()
        self._answers: dict[datetime, Counter[str]] = {}

    def vens_counted(self, counts: VenCounts) -> None:
        self._vens = counts
        self._online_moved = self._registered_moved = 0

    def events_counted(self, counts: EventCounts) -> None:
        self._events = counts

    def presence(self, event: PresenceEvent) -> bool:
        """Apply a presence fact; True when it moved a figure."""
        if self._vens is None or event.occurred_at <= self._vens.as_of:
            return False
        self._online_moved += 1 if event.status is PresenceStatus.ONLINE else -1
        return True

    def registration(self, event: RegistrationEvent) -> bool:
        if self._vens is None or event.occurred_at <= self._vens.as_of:
            return False
        if event.change is RegistrationChange.CREATED:
            self._registered_moved += 1
        elif event.change is RegistrationChange.CANCELLED:
            self._registered_moved -= 1
        else:
            return False
        return True

    def report_intervals(self, count: int, received_at: datetime) -> None:
        self._intervals[minute_of(received_at)] += count
        self._forget_before(received_at)

    def answer(self, fact: EventResponseFact) -> None:
        self._answers.setdefault(minute_of(fact.received_at), Counter())[fact.effective_opt_type] += 1
        self._forget_before(fact.received_at)

    def _forget_before(self, now: datetime) -> None:
        oldest = minute_of(now) - timedelta(minutes=WINDOW_MINUTES)
        for minute in [m for m in self._intervals if m < oldest]:
            del self._intervals[minute]
        for minute in [m for m in self._answers if m < oldest]:
            del self._answers[minute]

    def summary(self, now: datetime) -> FleetSummary:
        vens = self._vens
        registered = max(0, (vens.registered if vens else 0) + self._registered_moved)
        online = min(registered, max(0, (vens.online if vens else 0) + self._online_moved))
        minutes = [minute_of(now) - timedelta(minutes=i) for i in range(WINDOW_MINUTES - 1, -1, -1)]
        by_status = self._events.by_status if self._events else {}
        return FleetSummary(
            as_of=now,
            vens_counted_at=vens.as_of if vens else None,
            events_counted_at=self._events.as_of if self._events else None,
            known=vens.known if vens else 0,
            registered=registered,
            online=online,
            offline=registered - online,
            by_profile_transport=[
                ProfileTransportRow(
                    profile_name=t.profile_name,
                    transport_name=t.transport_name,
                    registered=t.registered,
                    online=t.online,
                    offline=t.registered - t.online,
                )
                for t in (vens.by_profile_transport if vens else ())
                if t.registered
            ],
            events={s.value: by_status.get(s, 0) for s in SHOWN_EVENT_STATUSES},
            report_intervals_per_minute=[MinuteCount(minute=m, count=self._intervals.get(m, 0)) for m in minutes],
            answers_per_minute=[
                MinuteAnswers(
                    minute=m,
                    opt_in=self._answers.get(m, Counter())["optIn"],
                    opt_out=self._answers.get(m, Counter())["optOut"],
                )
                for m in minutes
            ],
        )
