"""When the VTN sends the reports VENs requested of it, and which span of data each report covers (pure).

A request with reportBackDuration zero is one-shot: one report at once, covering its reportInterval (a
history request) or the present moment. Otherwise it is periodic: a report every reportBackDuration,
starting at the reportInterval's dtstart (or when requested), each covering the span since the previous
one, until the reportInterval ends (or, without one, until cancelled). After downtime the VTN does not
send one report per missed period: the next report covers what was missed, up to MAX_CATCH_UP periods.
A periodic request with granularity zero is on change: scheduled the same way, but its points offered on
change send only readings that changed (report_svc.own_reports.changes).
A periodic report the VEN never acknowledged (oadrUpdatedReport) although a poll took it a while ago (the
confirmation wait, or half a period if shorter: `acknowledgement_grace`) may have been lost with the poll
answer: the next report covers its span again (`lost_span_start`), so no span is left uncovered when the
next report replaces it as the one awaited before the confirmation sweep has sent it again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from shared.oadr.report_parts import ReportSpecifier

ZERO = timedelta(0)
MAX_CATCH_UP = 10


@dataclass(frozen=True)
class Plan:
    """Where a request stands: the next report is due at `next_report_at` (None: nothing more to send),
    and the data sent so far ends at `covered_until`."""

    next_report_at: datetime | None
    covered_until: datetime


@dataclass(frozen=True)
class Window:
    """The span of data one report covers, sampled every `granularity` (zero: one reading)."""

    date_from: datetime
    date_to: datetime
    granularity: timedelta


def whole_seconds(moment: datetime) -> datetime:
    """Times the VTN picks are whole seconds: 2.0b durations (xcal:duration) have no fractions."""
    return moment.replace(microsecond=0)


def is_one_shot(specifier: ReportSpecifier) -> bool:
    return specifier.report_back_duration == ZERO


def _interval_end(specifier: ReportSpecifier) -> datetime | None:
    interval = specifier.report_interval
    return interval.dtstart + interval.duration if interval is not None and interval.duration > ZERO else None


def first_plan(specifier: ReportSpecifier, now: datetime) -> Plan:
    """The plan of a request just accepted."""
    now = whole_seconds(now)
    if is_one_shot(specifier):
        return Plan(next_report_at=now, covered_until=now)
    interval = specifier.report_interval
    start = interval.dtstart if interval is not None and interval.dtstart > now else now
    return Plan(next_report_at=start + specifier.report_back_duration, covered_until=start)


def acknowledgement_grace(specifier: ReportSpecifier, confirm_wait: timedelta) -> timedelta:
    """How long after a poll took a periodic report the VEN's acknowledgement may still be on its way: the
    confirmation wait, or half a period if that is shorter (a VEN acknowledges a report as soon as it gets
    it), so that the next report knows whether the last may have been lost."""
    return min(confirm_wait, specifier.report_back_duration / 2)


def lost_span_start(
    specifier: ReportSpecifier,
    last_sent_from: datetime | None,
    acknowledged: bool,
    delivered_at: datetime | None,
    now: datetime,
    grace: timedelta,
) -> datetime | None:
    """Where the last report's span began, if that report may have been lost: periodic, taken by a poll at
    least `grace` ago and never acknowledged. None when nothing is to be covered again (also for a report
    still queued: the VEN gets it before the next)."""
    if is_one_shot(specifier) or acknowledged or last_sent_from is None or delivered_at is None:
        return None
    return last_sent_from if now - delivered_at >= grace else None


@dataclass(frozen=True)
class Step:
    """One report to send now: the window it covers, and the plan after it."""

    window: Window
    after: Plan


def step(
    specifier: ReportSpecifier, plan: Plan, now: datetime, final: bool = False, again_from: datetime | None = None
) -> Step | None:
    """The report due at `now` under `plan` (None if none is due). `final`: the request was cancelled with
    reportToFollow, so this is its last report. `again_from`: a periodic report covers the data from there
    again (`lost_span_start`), within the catch-up limit."""
    if plan.next_report_at is None or plan.next_report_at > now:
        return None
    now = whole_seconds(now)
    granularity = specifier.granularity
    if is_one_shot(specifier):
        interval = specifier.report_interval
        if interval is not None and interval.duration > ZERO:
            window = Window(interval.dtstart, interval.dtstart + interval.duration, granularity)
        else:
            window = Window(now - granularity, now, granularity)
        return Step(window, Plan(next_report_at=None, covered_until=window.date_to))
    back = specifier.report_back_duration
    scheduled = whole_seconds(plan.next_report_at)
    periods_missed = max(0, (now - scheduled) // back)
    due = scheduled + periods_missed * back
    end = _interval_end(specifier)
    covered_until = plan.covered_until if again_from is None else min(plan.covered_until, again_from)
    date_from = max(covered_until, due - MAX_CATCH_UP * back)
    date_to = due if not final else max(due, now)
    if end is not None and date_to >= end:
        return Step(Window(date_from, end, granularity), Plan(next_report_at=None, covered_until=end))
    after = Plan(next_report_at=None if final else due + back, covered_until=date_to)
    return Step(Window(date_from, date_to, granularity), after)
