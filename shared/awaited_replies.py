"""Pure decisions about a message the VTN queued for a VEN and whose reply it awaits, without I/O.

OpenADR 2.0b has no acknowledgement of a poll answer: only the VEN's reply to the message the answer carried
shows that it arrived (oadrCreatedReport, oadrCanceledReport, oadrRegisteredReport, oadrUpdatedReport,
oadrCreatedEvent). Until that reply comes, the VTN looks again at the message now and then:

- the message still waits in the VEN's queue (it does not poll): look again later, nothing is sent again;
- it went out less than the wait ago (counted from when the reply is due at the earliest): look again then;
- otherwise it is sent again, up to `resend_limit` times; after that the VTN gives up and says so.

Used by report_svc.confirmations (report requests, cancels, the VTN's METADATA and reports) and
event_svc.answer_waits (event sets).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class ConfirmationPolicy:
    wait: timedelta  # how long a VEN has to reply, once the message went out (and the reply is due)
    resend_limit: int  # times a message is sent again before the VTN gives up


@dataclass(frozen=True)
class Awaiting:
    """A message whose reply the VTN is waiting for."""

    confirmed: bool  # the VEN's reply came (or something else showed it has the message)
    reply_due: datetime | None  # when the VEN should have answered at the earliest; None: still queued for it
    resends: int  # times sent again so far


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


def next_step(awaiting: Awaiting, now: datetime, policy: ConfirmationPolicy) -> Step:
    if awaiting.confirmed:
        return Settled()
    if awaiting.reply_due is None:
        return LookAgain(now + policy.wait)
    deadline = awaiting.reply_due + policy.wait
    if now < deadline:
        return LookAgain(deadline)
    if awaiting.resends < policy.resend_limit:
        return SendAgain()
    return GiveUp()
