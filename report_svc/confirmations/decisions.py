"""Pure decisions about messages a VEN has not confirmed, without I/O.

OpenADR 2.0b has no acknowledgement of a poll answer: a VEN that never got the VTN's oadrCreateReport (the
answer to its poll or to its oadrRegisterReport lost on the way) never reports, one that never got an
oadrCancelReport reports on, one that never got the VTN's METADATA never asks for the VTN's reports, and one
that never got a report it asked of the VTN goes without that data. The VTN waits for the VEN's reply to
each: oadrCreatedReport (or data for the request), oadrCanceledReport, oadrRegisteredReport, oadrUpdatedReport
(for the last report of each request: a newer report of the request takes its place). Until the reply comes,
the VTN looks again at the message's `confirm_by` (shared.awaited_replies decides what then):

- the message still waits in the VEN's queue (it does not poll): look again later, nothing is sent again;
- it went out less than the confirmation wait ago (for a request, counted from when its first data is due):
  look again then;
- otherwise it is sent again (a request in a new oadrCreateReport, the others identical, requestID
  included, since the VEN's reply must name it), up to `resend_limit` times; after that the message is
  marked unconfirmed for operators and the VTN stops trying.
"""

from __future__ import annotations

from datetime import datetime

from report_svc.ven_reports.report_data import RequestStatus
from shared.awaited_replies import Awaiting
from shared.oadr.report_parts import ReportRequest

AWAITED_STATUSES = frozenset({RequestStatus.REQUESTED, RequestStatus.CANCEL_REQUESTED})


def first_data_due(request: ReportRequest, sent_at: datetime) -> datetime:
    """When a VEN that accepted `request` at `sent_at` sends its first data: after one reportBackDuration, from
    the start of the reportInterval when that is later (a one-shot request answers at once)."""
    specifier = request.report_specifier
    start = sent_at
    if specifier.report_interval is not None and specifier.report_interval.dtstart > sent_at:
        start = specifier.report_interval.dtstart
    return start + specifier.report_back_duration


def request_awaiting(
    status: str, request: ReportRequest, has_data: bool, sent_at: datetime | None, resends: int
) -> Awaiting:
    """A report request (status `requested`) or its cancel (`cancel_requested`) that went out at `sent_at`. Data
    for a request confirms it; any other status is confirmed (or closed) and awaits nothing."""
    if status not in AWAITED_STATUSES or (status == RequestStatus.REQUESTED and has_data):
        return Awaiting(confirmed=True, reply_due=None, resends=resends)
    if sent_at is None:
        return Awaiting(confirmed=False, reply_due=None, resends=resends)
    due = first_data_due(request, sent_at) if status == RequestStatus.REQUESTED else sent_at
    return Awaiting(confirmed=False, reply_due=due, resends=resends)
