"""The answer to one oadrUpdateReport and the records it brings, worked out without I/O from the stored
requests its reports answer; shared by the per-message and the batched path."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from report_svc.ven_reports.report_data import ReportDataRefused, RequestedReport, records_of, without_repeats
from report_svc.ven_reports.requests_to_vens import updated_report
from shared.contract.reports import ReportData
from shared.oadr import answers
from shared.oadr.report import UpdatedReport, UpdateReport


def checked_update(
    message: UpdateReport, ven_id: str, requested: Mapping[str, RequestedReport], received_at: datetime
) -> tuple[UpdatedReport, list[ReportData]]:
    """oadrUpdatedReport with its records to store, or with the OpenADR error and nothing to store."""
    try:
        records = without_repeats(records_of(ven_id, message.reports, requested, received_at))
    except ReportDataRefused as refused:
        error = answers.error(refused.response_code, refused.description, message.request_id)
        return UpdatedReport(response=error, ven_id=ven_id), []
    return updated_report(message.request_id, ven_id), records
