"""On-change delivery of the VTN's own reports (pure).

A VEN asks for data points "on change" with granularity zero and a reportBackDuration (the same shape this
VTN uses for its on-change requests to VENs): every reportBackDuration it wants what changed since the last
report, not one reading per period. This applies to the points whose METADATA offers it (oadrOnChange);
other points of the same request still get their reading every period. The first report of a request
carries every point, since the VEN has nothing to compare with; after that, a point's reading goes only if
its value differs from the one sent before it, and a report left with nothing in it is not sent.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from report_svc.own_reports.schedule import ZERO
from shared.oadr.report_parts import ReportInterval, ReportSpecifier, ResourceStatus

Value = float | ResourceStatus


def is_on_change(specifier: ReportSpecifier) -> bool:
    return specifier.granularity == ZERO and specifier.report_back_duration > ZERO


def baseline(
    last_sent: Mapping[str, Value], acknowledged: bool, delivered_at: datetime | None, now: datetime, wait: timedelta
) -> Mapping[str, Value]:
    """The values the next on-change report is compared with: those sent last, unless the report that carried
    them went out at least `wait` ago and the VEN never acknowledged it (the poll answer may have been lost:
    then every point goes again, and the VEN cannot be left with a stale value). A report still queued for the
    VEN keeps the baseline."""
    if acknowledged or delivered_at is None or now - delivered_at < wait:
        return last_sent
    return {}


def changed_only(
    intervals: Sequence[ReportInterval], on_change_r_ids: frozenset[str], last_sent: Mapping[str, Value]
) -> tuple[list[ReportInterval], dict[str, Value]]:
    """The intervals (oldest first) without the readings of on-change points that repeat the value before
    them, and every on-change point's latest value once these are sent."""
    latest = dict(last_sent)
    kept: list[ReportInterval] = []
    for interval in intervals:
        payloads = []
        for payload in interval.payloads:
            if payload.r_id in on_change_r_ids:
                if payload.r_id in latest and latest[payload.r_id] == payload.value:
                    continue
                latest[payload.r_id] = payload.value
            payloads.append(payload)
        if payloads:
            kept.append(interval.model_copy(update={"payloads": tuple(payloads)}))
    return kept, latest
