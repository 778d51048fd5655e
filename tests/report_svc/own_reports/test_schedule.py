"""When the VTN sends the reports VENs request of it, and what span each covers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from report_svc.own_reports.schedule import (
    MAX_CATCH_UP,
    Plan,
    acknowledgement_grace,
    first_plan,
    is_one_shot,
    lost_span_start,
    step,
)
from shared.oadr.period import Period
from shared.oadr.report_parts import ReportSpecifier, SpecifierPayload

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
ZERO = timedelta(0)


def specifier(granularity: timedelta, back: timedelta, interval: Period | None = None) -> ReportSpecifier:
    return ReportSpecifier(
        report_specifier_id="vtn-status",
        granularity=granularity,
        report_back_duration=back,
        report_interval=interval,
        specifier_payloads=(SpecifierPayload(r_id="vtn-status", reading_type="x-notApplicable"),),
    )


def test_a_one_shot_request_is_due_at_once_and_then_done() -> None:
    spec = specifier(ZERO, ZERO)
    assert is_one_shot(spec)
    plan = first_plan(spec, NOW)
    assert plan.next_report_at == NOW
    due = step(spec, plan, NOW)
    assert due is not None
    assert (due.window.date_from, due.window.date_to) == (NOW, NOW)
    assert due.after.next_report_at is None


def test_a_one_shot_history_request_covers_its_report_interval() -> None:
    spec = specifier(15 * MINUTE, ZERO, Period(dtstart=NOW - 60 * MINUTE, duration=60 * MINUTE))
    due = step(spec, first_plan(spec, NOW), NOW)
    assert due is not None
    assert (due.window.date_from, due.window.date_to, due.window.granularity) == (NOW - 60 * MINUTE, NOW, 15 * MINUTE)


def test_a_periodic_request_reports_every_report_back_duration_covering_the_span_since_the_last() -> None:
    spec = specifier(MINUTE, 2 * MINUTE)
    plan = first_plan(spec, NOW)
    assert plan == Plan(next_report_at=NOW + 2 * MINUTE, covered_until=NOW)
    assert step(spec, plan, NOW + MINUTE) is None
    first = step(spec, plan, NOW + 2 * MINUTE + timedelta(seconds=3))
    assert first is not None
    assert (first.window.date_from, first.window.date_to) == (NOW, NOW + 2 * MINUTE)
    assert first.after == Plan(next_report_at=NOW + 4 * MINUTE, covered_until=NOW + 2 * MINUTE)
    second = step(spec, first.after, NOW + 4 * MINUTE)
    assert second is not None and second.window.date_from == NOW + 2 * MINUTE


def test_a_periodic_request_over_a_report_interval_starts_with_it_and_ends_with_it() -> None:
    start = NOW + 5 * MINUTE
    spec = specifier(MINUTE, 2 * MINUTE, Period(dtstart=start, duration=10 * MINUTE))
    plan = first_plan(spec, NOW)
    assert plan == Plan(next_report_at=start + 2 * MINUTE, covered_until=start)
    for _ in range(4):
        due = step(spec, plan, plan.next_report_at or NOW)
        assert due is not None and due.after.next_report_at is not None
        plan = due.after
    last = step(spec, plan, plan.next_report_at or NOW)
    assert last is not None
    assert last.window.date_to == start + 10 * MINUTE
    assert last.after.next_report_at is None


def test_after_downtime_one_report_covers_what_was_missed_up_to_a_limit() -> None:
    spec = specifier(MINUTE, MINUTE)
    plan = first_plan(spec, NOW)
    later = NOW + 3 * MINUTE + timedelta(seconds=30)
    due = step(spec, plan, later)
    assert due is not None
    assert (due.window.date_from, due.window.date_to) == (NOW, NOW + 3 * MINUTE)
    assert due.after.next_report_at == NOW + 4 * MINUTE
    much_later = step(spec, plan, NOW + 100 * MINUTE)
    assert much_later is not None
    assert much_later.window.date_to - much_later.window.date_from == MAX_CATCH_UP * MINUTE


def test_a_final_report_after_a_cancel_with_report_to_follow_covers_until_now_and_ends() -> None:
    spec = specifier(MINUTE, 10 * MINUTE)
    cancelled_at = NOW + 3 * MINUTE
    due = step(spec, Plan(next_report_at=cancelled_at, covered_until=NOW), cancelled_at, final=True)
    assert due is not None
    assert (due.window.date_from, due.window.date_to) == (NOW, cancelled_at)
    assert due.after.next_report_at is None


def test_the_times_the_vtn_picks_are_whole_seconds() -> None:
    spec = specifier(MINUTE, 10 * MINUTE)
    plan = first_plan(spec, NOW + timedelta(microseconds=123456))
    assert plan.covered_until == NOW
    cancelled_at = NOW + 3 * MINUTE + timedelta(microseconds=5)
    due = step(spec, Plan(next_report_at=cancelled_at, covered_until=NOW), cancelled_at, final=True)
    assert due is not None and due.window.date_to == NOW + 3 * MINUTE


def test_a_report_superseded_while_unacknowledged_is_covered_again_by_the_next() -> None:
    spec = specifier(MINUTE, 5 * MINUTE)
    plan = Plan(next_report_at=NOW, covered_until=NOW - 5 * MINUTE)  # the last report covered 12:50-12:55
    last_from = NOW - 10 * MINUTE
    again = lost_span_start(spec, last_from, False, NOW - 4 * MINUTE, NOW, grace=MINUTE)
    assert again == last_from
    due = step(spec, plan, NOW, again_from=again)
    assert due is not None
    assert (due.window.date_from, due.window.date_to) == (last_from, NOW)
    assert due.after.covered_until == NOW
    # ...but never further back than the catch-up limit.
    long_ago = NOW - 100 * MINUTE
    capped = step(spec, plan, NOW, again_from=long_ago)
    assert capped is not None and capped.window.date_from == NOW - MAX_CATCH_UP * 5 * MINUTE


def test_only_a_report_taken_a_while_ago_and_never_acknowledged_counts_as_lost() -> None:
    spec = specifier(MINUTE, 4 * MINUTE)
    grace = acknowledgement_grace(spec, confirm_wait=10 * MINUTE)
    assert grace == 2 * MINUTE  # half the period, the confirmation wait being longer
    assert acknowledgement_grace(spec, confirm_wait=MINUTE) == MINUTE
    last_from = NOW - 8 * MINUTE
    taken_long_ago, taken_just_now = NOW - 2 * MINUTE, NOW - MINUTE
    assert lost_span_start(spec, last_from, False, taken_long_ago, NOW, grace) == last_from
    assert lost_span_start(spec, last_from, True, taken_long_ago, NOW, grace) is None  # acknowledged
    assert lost_span_start(spec, last_from, False, taken_just_now, NOW, grace) is None  # the answer may be on its way
    assert lost_span_start(spec, last_from, False, None, NOW, grace) is None  # still queued: the VEN gets it
    assert lost_span_start(spec, None, False, taken_long_ago, NOW, grace) is None  # nothing sent yet
    one_shot = specifier(ZERO, ZERO)  # its report is the last: the confirmation sweep sends it again
    assert lost_span_start(one_shot, last_from, False, taken_long_ago, NOW, grace) is None
