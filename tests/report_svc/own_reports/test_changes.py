"""On-change delivery of the VTN's own reports: only readings that differ from the one before them go."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from report_svc.own_reports.changes import baseline, changed_only, is_on_change
from shared.oadr.report_parts import ReportInterval, ReportPayload, ReportSpecifier, ResourceStatus, SpecifierPayload

T0 = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
SECOND = timedelta(seconds=1)
ONLINE = ResourceStatus(online=True, manual_override=False)
OFFLINE = ResourceStatus(online=False, manual_override=False)


def interval(second: int, **values: float | ResourceStatus) -> ReportInterval:
    return ReportInterval(
        dtstart=T0 + second * SECOND,
        duration=SECOND,
        payloads=tuple(ReportPayload(r_id=r_id, value=value) for r_id, value in values.items()),
    )


def specifier(granularity: timedelta, back: timedelta) -> ReportSpecifier:
    return ReportSpecifier(
        report_specifier_id="vtn-prices",
        granularity=granularity,
        report_back_duration=back,
        specifier_payloads=(SpecifierPayload(r_id="tier", reading_type="Direct Read"),),
    )


def test_granularity_zero_with_a_report_back_duration_is_on_change() -> None:
    assert is_on_change(specifier(timedelta(0), SECOND))
    assert not is_on_change(specifier(timedelta(0), timedelta(0)))  # one-shot
    assert not is_on_change(specifier(SECOND, SECOND))  # periodic


def test_the_first_report_carries_every_point_and_later_ones_only_changes() -> None:
    first, last = changed_only([interval(0, tier=1.0, status=ONLINE)], frozenset({"tier", "status"}), {})
    assert first == [interval(0, tier=1.0, status=ONLINE)] and last == {"tier": 1.0, "status": ONLINE}
    second, last = changed_only([interval(1, tier=1.0, status=OFFLINE)], frozenset({"tier", "status"}), last)
    assert second == [interval(1, status=OFFLINE)] and last == {"tier": 1.0, "status": OFFLINE}
    third, after = changed_only([interval(2, tier=1.0, status=OFFLINE)], frozenset({"tier", "status"}), last)
    assert third == [] and after == last


def test_repeats_within_one_report_are_dropped_and_changes_back_kept() -> None:
    found = [interval(0, tier=1.0), interval(1, tier=1.0), interval(2, tier=2.0), interval(3, tier=1.0)]
    kept, last = changed_only(found, frozenset({"tier"}), {"tier": 1.0})
    assert kept == [interval(2, tier=2.0), interval(3, tier=1.0)] and last == {"tier": 1.0}


def test_points_not_offered_on_change_keep_their_reading_every_period() -> None:
    kept, last = changed_only([interval(0, tier=1.0, price=5.0)], frozenset({"tier"}), {"tier": 1.0})
    assert kept == [interval(0, price=5.0)] and last == {"tier": 1.0}


def test_the_baseline_is_dropped_once_a_report_went_out_long_enough_ago_unacknowledged() -> None:
    sent = {"tier": 1.0}
    wait = timedelta(minutes=1)
    assert baseline(sent, True, T0, T0 + timedelta(hours=1), wait) == sent  # acknowledged
    assert baseline(sent, False, None, T0 + timedelta(hours=1), wait) == sent  # still queued for the VEN
    assert baseline(sent, False, T0, T0 + timedelta(seconds=59), wait) == sent  # the VEN may yet acknowledge it
    assert baseline(sent, False, T0, T0 + wait, wait) == {}  # lost, perhaps: every point goes again
