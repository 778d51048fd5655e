"""Report data is accepted only for what was requested, and becomes one record per interval and rID."""

from __future__ import annotations

from datetime import timedelta

import pytest

from report_svc.ven_reports.report_data import (
    ReportDataRefused,
    RequestedReport,
    RequestStatus,
    never_requested,
    records_of,
    without_repeats,
)
from report_svc.ven_reports.requests_to_vens import build_request
from shared.oadr.common import ResponseCode
from shared.oadr.report_parts import Report, ReportInterval, ReportPayload, ResourceStatus
from tests.report_svc.metadata import NOW, POWER, STATUS, USAGE

MINUTE = timedelta(minutes=1)
USAGE_REQUEST = build_request(USAGE, r_ids=["power"], granularity=MINUTE, report_back_duration=MINUTE)
STATUS_REQUEST = build_request(STATUS, granularity=timedelta(0), report_back_duration=timedelta(0))


def requested(
    status: str = RequestStatus.CREATED, report_to_follow: bool = False, ven_id: str = "ven-1"
) -> dict[str, RequestedReport]:
    return {
        r.report_request_id: RequestedReport(ven_id, name, status, report_to_follow, r)
        for r, name in ((USAGE_REQUEST, "TELEMETRY_USAGE"), (STATUS_REQUEST, "TELEMETRY_STATUS"))
    }


def usage_report(*values: float, r_id: str = "power", request_id: str | None = None) -> Report:
    return Report(
        report_specifier_id="usage-spec",
        report_request_id=request_id or USAGE_REQUEST.report_request_id,
        report_name="TELEMETRY_USAGE",
        created_date_time=NOW,
        intervals=tuple(
            ReportInterval(dtstart=NOW + i * MINUTE, duration=MINUTE, payloads=(ReportPayload(r_id=r_id, value=v),))
            for i, v in enumerate(values)
        ),
    )


def test_every_interval_becomes_a_record_with_units_in_order() -> None:
    records = records_of("ven-1", [usage_report(1.5, 2.5, 3.5)], requested(), NOW)
    assert [(r.r_id, r.dtstart, r.value) for r in records] == [
        ("power", NOW, 1.5),
        ("power", NOW + MINUTE, 2.5),
        ("power", NOW + 2 * MINUTE, 3.5),
    ]
    assert all(r.units == POWER and r.reading_type == "Direct Read" and r.duration == MINUTE for r in records)
    assert records[0].report_request_id == USAGE_REQUEST.report_request_id


def test_status_values_and_dtstart_from_the_report() -> None:
    report = Report(
        report_specifier_id="status-spec",
        report_request_id=STATUS_REQUEST.report_request_id,
        created_date_time=NOW,
        dtstart=NOW,
        intervals=(
            ReportInterval(
                payloads=(ReportPayload(r_id="status", value=ResourceStatus(online=True, manual_override=False)),)
            ),
        ),
    )
    [record] = records_of("ven-1", [report], requested(), NOW)
    assert record.dtstart == NOW and isinstance(record.value, ResourceStatus)
    assert record.report_name == "TELEMETRY_STATUS"  # from the request when the report has none


def test_data_for_a_request_never_made_is_an_invalid_id() -> None:
    with pytest.raises(ReportDataRefused) as refused:
        records_of("ven-1", [usage_report(1.0, request_id="rr-unknown")], requested(), NOW)
    assert refused.value.response_code == ResponseCode.INVALID_ID


def test_data_for_another_vens_request_is_an_invalid_id() -> None:
    with pytest.raises(ReportDataRefused) as refused:
        records_of("ven-2", [usage_report(1.0)], requested(), NOW)
    assert refused.value.response_code == ResponseCode.INVALID_ID


def test_an_rid_that_was_not_requested_is_invalid_data() -> None:
    with pytest.raises(ReportDataRefused) as refused:
        records_of("ven-1", [usage_report(1.0, r_id="voltage")], requested(), NOW)
    assert refused.value.response_code == ResponseCode.INVALID_DATA


def test_cancelled_requests_accept_data_only_with_report_to_follow() -> None:
    with pytest.raises(ReportDataRefused):
        records_of("ven-1", [usage_report(1.0)], requested(RequestStatus.CANCELLED), NOW)
    assert records_of("ven-1", [usage_report(1.0)], requested(RequestStatus.CANCELLED, report_to_follow=True), NOW)
    assert records_of("ven-1", [usage_report(1.0)], requested(RequestStatus.CANCEL_REQUESTED), NOW)


def test_an_interval_without_any_dtstart_is_invalid_data() -> None:
    report = usage_report(1.0).model_copy(
        update={"intervals": (ReportInterval(payloads=(ReportPayload(r_id="power", value=1.0),)),)}
    )
    with pytest.raises(ReportDataRefused) as refused:
        records_of("ven-1", [report], requested(), NOW)
    assert refused.value.response_code == ResponseCode.INVALID_DATA


def test_one_bad_report_refuses_the_whole_message() -> None:
    with pytest.raises(ReportDataRefused):
        records_of("ven-1", [usage_report(1.0), usage_report(2.0, request_id="rr-unknown")], requested(), NOW)


def test_an_interval_repeated_in_one_message_counts_once() -> None:
    records = records_of("ven-1", [usage_report(1.0), usage_report(9.0)], requested(), NOW)
    assert [r.value for r in without_repeats(records)] == [1.0]


def test_another_vens_request_is_never_requested_as_an_unknown_one_is() -> None:
    """What a VEN's oadrCreatedReport may acknowledge: its own requests only; another VEN's looks unknown."""
    mine = USAGE_REQUEST.report_request_id
    assert never_requested("ven-1", [mine, "rr-unknown"], requested()) == ["rr-unknown"]
    assert never_requested("ven-2", [mine, "rr-unknown"], requested()) == [mine, "rr-unknown"]
    assert never_requested("ven-1", [], requested()) == []
