"""Sends again the report requests, cancels, METADATA and the VTN's own reports that VENs did not confirm (the
decisions: report_svc.confirmations.decisions).

Every instance sweeps; a row is looked at by one of them at a time (locked, others skip it), in one
transaction with the message it queues, so a message is sent again once per look.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime

import asyncpg

from report_svc.confirmations import store as confirmation_store
from report_svc.confirmations.store import AwaitedTable, AwaitingCopy, AwaitingRequest
from report_svc.ven_reports.report_data import RequestStatus
from report_svc.ven_reports.requests_to_vens import cancel_report, create_report
from shared.awaited_replies import ConfirmationPolicy, GiveUp, LookAgain, SendAgain, Settled, Step, next_step
from shared.contract.envelope import utcnow
from shared.db import pending
from shared.db.connection import Conn
from shared.metrics import REPORT_REQUEST_RESENDS
from shared.oadr.messages import VtnMessage

log = logging.getLogger(__name__)

BATCH = 500  # rows of a table looked at in one transaction


@dataclass(frozen=True)
class Resent:
    ven_id: str
    key: str  # the reportRequestID (of a request to the VEN, or of the VEN's to the VTN), or the requestID of an
    # oadrRegisterReport
    message_type: str
    resends: int  # times sent again, this one included (given up: all of them)


@dataclass
class Look:
    looked_at: int = 0
    sent_again: list[Resent] = field(default_factory=list)
    given_up: list[Resent] = field(default_factory=list)


def request_message(row: AwaitingRequest) -> VtnMessage:
    """The message to send again: the request in a new oadrCreateReport, or the very oadrCancelReport (its
    requestID is what the VEN's oadrCanceledReport must name)."""
    if row.status == RequestStatus.CANCEL_REQUESTED:
        return cancel_report(row.ven_id, [row.report_request_id], row.report_to_follow, row.cancel_request_id)
    return create_report(row.ven_id, [row.request])


def _request_message_type(row: AwaitingRequest) -> str:
    return "oadrCancelReport" if row.status == RequestStatus.CANCEL_REQUESTED else "oadrCreateReport"


class _Decisions:
    """What one look at one table decided, written back in a few statements."""

    def __init__(self, table: AwaitedTable, now: datetime, result: Look) -> None:
        self.table, self.now, self.result = table, now, result
        self.settled: list[tuple[str, str]] = []
        self.later: list[tuple[str, str, datetime]] = []
        self.given_up: list[tuple[str, str]] = []

    def note(self, ven_id: str, key: str, step: Step, message_type: str, resends: int) -> None:
        if isinstance(step, Settled):
            self.settled.append((ven_id, key))
        elif isinstance(step, LookAgain):
            self.later.append((ven_id, key, step.at))
        elif isinstance(step, GiveUp):
            self.given_up.append((ven_id, key))
            self.result.given_up.append(Resent(ven_id, key, message_type, resends))

    async def send_again(
        self,
        conn: Conn,
        ven_id: str,
        key: str,
        message: VtnMessage,
        resends: int,
        policy: ConfirmationPolicy,
        copy_of: str = "",
    ) -> None:
        """`copy_of`: what tells apart the messages sent under one key (the VTN's reports of one request)."""
        dedup_key = f"resend:{self.table.key}:{key}:{copy_of}:{message.message_type}:{resends + 1}"
        pending_id = await pending.enqueue(conn, ven_id, message, dedup_key=dedup_key)
        await confirmation_store.sent_again(conn, self.table, ven_id, key, pending_id, self.now + policy.wait)
        self.result.sent_again.append(Resent(ven_id, key, message.message_type, resends + 1))

    async def write(self, conn: Conn) -> None:
        await confirmation_store.look_again(conn, self.table, self.later)
        await confirmation_store.settle(conn, self.table, self.settled)
        await confirmation_store.give_up(conn, self.table, self.given_up, self.now)


async def look(conn: Conn, now: datetime, policy: ConfirmationPolicy, limit: int = BATCH) -> Look:
    """Look at up to `limit` report requests, `limit` METADATA offers and `limit` of the VTN's own reports due by
    `now`, in the caller's transaction."""
    result = Look()
    requests = await _look_at_requests(conn, now, policy, limit, result)
    offers = await _look_at_copies(conn, now, policy, limit, result, AwaitedTable.OFFERS)
    vtn_reports = await _look_at_copies(conn, now, policy, limit, result, AwaitedTable.VTN_REPORTS)
    result.looked_at = max(requests, offers, vtn_reports)
    return result


async def _look_at_requests(conn: Conn, now: datetime, policy: ConfirmationPolicy, limit: int, result: Look) -> int:
    rows = await confirmation_store.due_requests(conn, now, limit)
    decisions = _Decisions(AwaitedTable.REQUESTS, now, result)
    for row in rows:
        step = next_step(row.awaiting, now, policy)
        if isinstance(step, SendAgain):
            message = request_message(row)
            await decisions.send_again(conn, row.ven_id, row.report_request_id, message, row.awaiting.resends, policy)
        else:
            decisions.note(row.ven_id, row.report_request_id, step, _request_message_type(row), row.awaiting.resends)
    await decisions.write(conn)
    return len(rows)


async def _look_at_copies(
    conn: Conn, now: datetime, policy: ConfirmationPolicy, limit: int, result: Look, table: AwaitedTable
) -> int:
    """The VTN's METADATA offers or its own reports: each sent again as the very message queued."""
    due, message_type = COPIES[table]
    copies = await due(conn, now, limit)
    decisions = _Decisions(table, now, result)
    for waiting in copies:
        step = next_step(waiting.awaiting, now, policy)
        message = None
        if isinstance(step, SendAgain) and waiting.pending_id is not None:
            message = await pending.message_of(conn, waiting.pending_id)
        if message is not None:
            resends = waiting.awaiting.resends
            await decisions.send_again(conn, waiting.ven_id, waiting.key, message, resends, policy, waiting.copy_of)
        else:  # a message due again but no longer queued cannot be sent: given up
            step = GiveUp() if isinstance(step, SendAgain) else step
            decisions.note(waiting.ven_id, waiting.key, step, message_type, waiting.awaiting.resends)
    await decisions.write(conn)
    return len(copies)


DueCopies = Callable[[Conn, datetime, int], Awaitable[list[AwaitingCopy]]]
COPIES: dict[AwaitedTable, tuple[DueCopies, str]] = {
    AwaitedTable.OFFERS: (confirmation_store.due_offers, "oadrRegisterReport"),
    AwaitedTable.VTN_REPORTS: (confirmation_store.due_vtn_reports, "oadrUpdateReport"),
}


def _report(result: Look) -> None:
    """Counted and logged once the look is committed."""
    for resent in result.sent_again:
        REPORT_REQUEST_RESENDS.labels(resent.message_type, "sent_again").inc()
        log.info("unconfirmed report message sent again", extra={"action": "report_message_resent", **asdict(resent)})
    for unconfirmed in result.given_up:
        REPORT_REQUEST_RESENDS.labels(unconfirmed.message_type, "gave_up").inc()
        log.warning(
            "VEN never confirmed a report message; not sending it again",
            extra={"action": "report_message_unconfirmed", **asdict(unconfirmed)},
        )


class ConfirmationSweep:
    def __init__(self, pool: asyncpg.Pool, policy: ConfirmationPolicy, clock: Callable[[], datetime] = utcnow) -> None:
        self._pool = pool
        self._policy = policy
        self._clock = clock

    async def __call__(self) -> None:
        while True:
            async with self._pool.acquire() as conn, conn.transaction():
                result = await look(conn, self._clock(), self._policy)
            _report(result)
            if result.looked_at < BATCH:
                return
