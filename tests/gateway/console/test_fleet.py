"""The fleet's figures: counts, moved between counts by the Kafka facts, never counting a fact twice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from gateway.console.fleet import WINDOW_MINUTES, FleetState, minute_of
from shared.contract.backend_events import PresenceEvent, PresenceStatus, RegistrationChange, RegistrationEvent
from shared.contract.events import EventCounts, EventResponseFact
from shared.contract.operator import VenCounts, VenTally
from shared.oadr.event import EventStatus

T0 = datetime(2026, 1, 1, 12, 0, 30, tzinfo=UTC)


def counted(registered: int = 10, online: int = 6, at: datetime = T0) -> VenCounts:
    tallies = (
        VenTally(profile_name="2.0b", transport_name="simpleHttp", registered=registered - 1, online=online - 1),
        VenTally(profile_name="2.0a", transport_name="xmpp", registered=1, online=1),
        VenTally(profile_name=None, transport_name=None, registered=0, online=0),
    )
    return VenCounts(as_of=at, known=registered + 2, registered=registered, online=online, by_profile_transport=tallies)


def presence(status: PresenceStatus, at: datetime) -> PresenceEvent:
    return PresenceEvent(status=status, ven_id="v", last_seen=at, occurred_at=at)


def test_a_count_is_shown_as_counted_with_every_profile_and_transport_it_found() -> None:
    state = FleetState()
    state.vens_counted(counted())
    summary = state.summary(T0)
    assert (summary.registered, summary.online, summary.offline, summary.known) == (10, 6, 4, 12)
    assert [(r.profile_name, r.transport_name, r.offline) for r in summary.by_profile_transport] == [
        ("2.0b", "simpleHttp", 4),
        ("2.0a", "xmpp", 0),
    ]


def test_presence_facts_after_the_count_move_online_and_offline() -> None:
    state = FleetState()
    state.vens_counted(counted())
    assert state.presence(presence(PresenceStatus.ONLINE, T0 + timedelta(seconds=1)))
    assert state.presence(presence(PresenceStatus.ONLINE, T0 + timedelta(seconds=2)))
    assert state.presence(presence(PresenceStatus.OFFLINE, T0 + timedelta(seconds=3)))
    summary = state.summary(T0)
    assert (summary.online, summary.offline) == (7, 3)


def test_a_fact_from_before_the_count_is_already_in_it() -> None:
    state = FleetState()
    state.vens_counted(counted())
    assert not state.presence(presence(PresenceStatus.ONLINE, T0))
    assert not state.presence(presence(PresenceStatus.OFFLINE, T0 - timedelta(seconds=5)))
    assert state.summary(T0).online == 6


def test_a_new_count_replaces_what_the_facts_moved() -> None:
    state = FleetState()
    state.vens_counted(counted())
    state.presence(presence(PresenceStatus.ONLINE, T0 + timedelta(seconds=1)))
    state.vens_counted(counted(online=3, at=T0 + timedelta(seconds=30)))
    assert state.summary(T0).online == 3


def test_registrations_created_and_cancelled_move_the_registered_count() -> None:
    state = FleetState()
    state.vens_counted(counted())
    later = T0 + timedelta(seconds=1)
    for change in (RegistrationChange.CREATED, RegistrationChange.CREATED, RegistrationChange.CANCELLED):
        assert state.registration(RegistrationEvent(change=change, ven_id="v", occurred_at=later))
    assert not state.registration(
        RegistrationEvent(change=RegistrationChange.REREGISTERED, ven_id="v", occurred_at=later)
    )
    assert state.summary(T0).registered == 11


def test_figures_stay_within_bounds_when_facts_outrun_the_count() -> None:
    state = FleetState()
    state.vens_counted(counted(registered=1, online=1))
    for second in range(1, 4):
        state.presence(presence(PresenceStatus.ONLINE, T0 + timedelta(seconds=second)))
    summary = state.summary(T0)
    assert (summary.registered, summary.online, summary.offline) == (1, 1, 0)
    for second in range(4, 10):
        state.presence(presence(PresenceStatus.OFFLINE, T0 + timedelta(seconds=second)))
    assert state.summary(T0).online == 0


def test_before_any_count_there_is_nothing_to_move() -> None:
    state = FleetState()
    assert not state.presence(presence(PresenceStatus.ONLINE, T0))
    summary = state.summary(T0)
    assert summary.vens_counted_at is None and summary.online == 0


def test_report_intervals_and_answers_are_counted_per_minute_over_the_window() -> None:
    state = FleetState()
    state.report_intervals(5, T0)
    state.report_intervals(3, T0 + timedelta(seconds=10))
    state.report_intervals(7, T0 - timedelta(minutes=2))
    state.report_intervals(100, T0 - timedelta(minutes=WINDOW_MINUTES + 1))  # too old to show
    for opt in ("optIn", "optIn", "optOut"):
        state.answer(
            EventResponseFact(
                ven_id="v",
                event_id="e",
                modification_number=0,
                opt_type=opt,
                effective_opt_type=opt,
                response_code=200,
                request_id=None,
                received_at=T0,
            )  # fmt: skip
        )
    summary = state.summary(T0)
    assert len(summary.report_intervals_per_minute) == WINDOW_MINUTES
    assert summary.report_intervals_per_minute[-1].minute == minute_of(T0)
    assert summary.report_intervals_per_minute[-1].count == 8
    assert summary.report_intervals_per_minute[-3].count == 7
    assert sum(m.count for m in summary.report_intervals_per_minute) == 15
    assert (summary.answers_per_minute[-1].opt_in, summary.answers_per_minute[-1].opt_out) == (2, 1)


def test_events_are_shown_far_near_active_with_zeros_for_none() -> None:
    state = FleetState()
    state.events_counted(EventCounts(as_of=T0, by_status={EventStatus.ACTIVE: 2, EventStatus.FAR: 1}))
    assert state.summary(T0).events == {"far": 1, "near": 0, "active": 2}
