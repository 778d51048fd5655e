"""Pure checks of the data in an oadrUpdateReport against what the VTN requested, and its records.

A report is accepted only for a request this VTN made of this VEN and has not cancelled (a cancel with
reportToFollow still accepts the last report), with every interval's rID among those requested and a
dtstart given by the interval or the report. One bad report refuses the whole message: nothing of it is
stored, so the VEN can correct and resend it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from shared.contract.reports import ReportData
from shared.oadr.common import ResponseCode
from shared.oadr.report_parts import Report, ReportRequest


class RequestStatus:
    REQUESTED = "requested"
    CREATED = "created"
    CANCEL_REQUESTED = "cancel_requested"
    CANCELLED = "cancelled"


OPEN_STATUSES = frozenset({RequestStatus.REQUESTED, RequestStatus.CREATED, RequestStatus.CANCEL_REQUESTED})


@dataclass(frozen=True)
class RequestedReport:
    """A report request as stored: what the VTN asked a VEN for, and where it stands."""

    ven_id: str
    report_name: str | None
    status: str
    report_to_follow: bool
    request: ReportRequest
    callbacks: dict[str, str] = field(default_factory=dict)  # rID -> "module:function" from on_register_report

    @property
    def report_request_id(self) -> str:
        return self.request.report_request_id

    @property
    def accepts_data(self) -> bool:
        return self.status in OPEN_STATUSES or (self.status == RequestStatus.CANCELLED and self.report_to_follow)


class ReportDataRefused(ValueError):
    """Report data the VTN cannot accept; `response_code` is the OpenADR code for the VEN."""

    def __init__(self, response_code: int, description: str) -> None:
        super().__init__(description)
        self.response_code = response_code
        self.description = description


def never_requested(
    ven_id: str, report_request_ids: Sequence[str], requested: Mapping[str, RequestedReport]
) -> list[str]:
    """Those of `report_request_ids` that name no request this VTN made of `ven_id`: unknown, or another VEN's,
    which is the same to the VEN."""
    return [i for i in report_request_ids if (found := requested.get(i)) is None or found.ven_id != ven_id]


def records_of(
    ven_id: str, reports: Sequence[Report], requested: Mapping[str, RequestedReport], received_at: datetime
) -> list[ReportData]:
    """One record per interval and data point, in the order the VEN sent them; raises ReportDataRefused."""
    records: list[ReportData] = []
    for report in reports:
        records.extend(_records_of_report(ven_id, report, requested.get(report.report_request_id), received_at))
    return records


def _records_of_report(
    ven_id: str, report: Report, requested: RequestedReport | None, received_at: datetime
) -> list[ReportData]:
    if requested is None or never_requested(ven_id, [report.report_request_id], {report.report_request_id: requested}):
        raise ReportDataRefused(
            ResponseCode.INVALID_ID, f"reportRequestID {report.report_request_id} was never requested"
        )
    if not requested.accepts_data:
        raise ReportDataRefused(ResponseCode.INVALID_ID, f"report request {report.report_request_id} was cancelled")
    specifier = requested.request.report_specifier
    if report.report_specifier_id != specifier.report_specifier_id:
        raise ReportDataRefused(
            ResponseCode.INVALID_DATA,
            f"report {report.report_specifier_id} does not match request {report.report_request_id}",
        )
    wanted = {p.r_id: p for p in specifier.specifier_payloads}
    records = []
    for interval in report.intervals:
        dtstart = interval.dtstart or report.dtstart
        if dtstart is None:
            raise ReportDataRefused(ResponseCode.INVALID_DATA, "an interval has no dtstart, nor has its report")
        for payload in interval.payloads:
            point = wanted.get(payload.r_id)
            if point is None:
                raise ReportDataRefused(
                    ResponseCode.INVALID_DATA, f"rID {payload.r_id} was not requested by {report.report_request_id}"
                )
            records.append(
                ReportData(
                    ven_id=ven_id,
                    report_request_id=report.report_request_id,
                    report_specifier_id=report.report_specifier_id,
                    report_name=report.report_name or requested.report_name,
                    r_id=payload.r_id,
                    dtstart=dtstart,
                    duration=interval.duration,
                    value=payload.value,
                    units=point.item_base,
                    reading_type=point.reading_type,
                    received_at=received_at,
                )
            )
    return records


def without_repeats(records: Sequence[ReportData]) -> list[ReportData]:
    """The first record of each (request, rID, dtstart): a VEN repeating an interval in one message counts once."""
    seen: set[tuple[str, str, datetime]] = set()
    unique = []
    for record in records:
        key = (record.report_request_id, record.r_id, record.dtstart)
        if key not in seen:
            seen.add(key)
            unique.append(record)
    return unique
