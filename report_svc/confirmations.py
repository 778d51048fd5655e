"""Pure decisions about report requests and cancels a VEN has not confirmed, without I/O.

OpenADR 2.0b has no acknowledgement of a poll answer: a VEN that never got the VTN's oadrCreateReport (the
answer to its poll or to its oadrRegisterReport lost on the way) never reports, and one that never got an
oadrCancelReport reports on. The VEN's confirmation is its oadrCreatedReport or oadrCanceledReport; data for
the request also shows that it has it. Until one comes, the VTN looks again at `confirm_by`:

- the message still waits in the VEN's queue (it does not poll): look again later, nothing is sent again;
- it went out less than the confirmation wait ago (for a request, counted from when its first data is due):
  look again then;
- otherwise it is sent again, identical but for a periodic request's requestID, up to `resend_limit` times;
  after that the request is marked unconfirmed for operators and the VTN stops trying.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from report_svc.report_data import RequestStatus
from shared.oadr.report_parts import ReportRequest

AWAITED_STATUSES = frozenset({RequestStatus.REQUESTED, RequestStatus.CANCEL_REQUESTED})


@dataclass(frozen=True)
class ConfirmationPolicy:
    wait: timedelta  # how long a VEN has to confirm, once the message went out (and the first data is due)
    resend_limit: int  # times a message is sent again before the VTN gives up


@dataclass(frozen=True)
class Awaiting:
    """A report request whose confirmation the VTN is waiting for, as stored."""

    ven_id: str
    status: str
    request: ReportRequest
    resends: int
    sent_at: datetime | None  # when the last message about it went out; None: still queued for the VEN
    has_data: bool  # the VEN has sent data for it

    @property
    def report_request_id(self) -> str:
        return self.request.report_request_id


@dataclass(frozen=True)
class Settled:
    """Confirmed (or no longer awaiting anything): stop looking."""


@dataclass(frozen=True)
class LookAgain:
    at: datetime


@dataclass(frozen=True)
class SendAgain:
    pass


@dataclass(frozen=True)
class GiveUp:
    pass


Step = Settled | LookAgain | SendAgain | GiveUp


def first_data_due(request: ReportRequest, sent_at: datetime) -> datetime:
    """When a VEN that accepted `request` at `sent_at` sends its first data: after one reportBackDuration, from
    the start of the reportInterval when that is later (a one-shot request answers at once)."""
    specifier = request.report_specifier
    start = sent_at
    if specifier.report_interval is not None and specifier.report_interval.dtstart > sent_at:
        start = specifier.report_interval.dtstart
    return start + specifier.report_back_duration


def next_step(awaiting: Awaiting, now: datetime, policy: ConfirmationPolicy) -> Step:
    if awaiting.status not in AWAITED_STATUSES:
        return Settled()
    if awaiting.status == RequestStatus.REQUESTED and awaiting.has_data:
        return Settled()
    if awaiting.sent_at is None:
        return LookAgain(now + policy.wait)
    deadline = awaiting.sent_at + policy.wait
    if awaiting.status == RequestStatus.REQUESTED:
        deadline = first_data_due(awaiting.request, awaiting.sent_at) + policy.wait
    if now < deadline:
        return LookAgain(deadline)
    if awaiting.resends < policy.resend_limit:
        return SendAgain()
    return GiveUp()
