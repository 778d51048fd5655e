"""Sends again the report requests and cancels VENs did not confirm (the decisions: report_svc.confirmations).

Every instance sweeps; a row is looked at by one of them at a time (locked, others skip it), in one
transaction with the message it queues, so a message is sent again once per look.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime

import asyncpg

from report_svc import confirmation_store
from report_svc.confirmation_store import AwaitingRow
from report_svc.confirmations import ConfirmationPolicy, GiveUp, LookAgain, SendAgain, next_step
from report_svc.report_data import RequestStatus
from report_svc.report_requests import cancel_report, create_report
from shared.contract.envelope import utcnow
from shared.db import pending
from shared.db.connection import Conn
from shared.metrics import REPORT_REQUEST_RESENDS
from shared.oadr.report import CancelReport, CreateReport

log = logging.getLogger(__name__)

BATCH = 500  # rows looked at in one transaction


def message_again(row: AwaitingRow) -> CreateReport | CancelReport:
    """The message to send again: the request in a new oadrCreateReport, or the very oadrCancelReport (its
    requestID is what the VEN's oadrCanceledReport must name)."""
    awaiting = row.awaiting
    if _is_cancel(row):
        return cancel_report(awaiting.ven_id, [awaiting.report_request_id], row.report_to_follow, row.cancel_request_id)
    return create_report(awaiting.ven_id, [awaiting.request])


def _is_cancel(row: AwaitingRow) -> bool:
    return row.awaiting.status == RequestStatus.CANCEL_REQUESTED


def _message_type(row: AwaitingRow) -> str:
    return "oadrCancelReport" if _is_cancel(row) else "oadrCreateReport"


@dataclass(frozen=True)
class Resent:
    ven_id: str
    report_request_id: str
    message_type: str
    resends: int  # times sent again, this one included (given up: all of them)


@dataclass(frozen=True)
class Look:
    looked_at: int
    sent_again: list[Resent] = field(default_factory=list)
    given_up: list[Resent] = field(default_factory=list)


async def look(conn: Conn, now: datetime, policy: ConfirmationPolicy, limit: int = BATCH) -> Look:
    """Look at up to `limit` requests due by `now`, in the caller's transaction."""
    rows = await confirmation_store.due(conn, now, limit)
    result = Look(looked_at=len(rows))
    settled: list[str] = []
    later: list[tuple[str, datetime]] = []
    for row in rows:
        awaiting = row.awaiting
        step = next_step(awaiting, now, policy)
        if isinstance(step, LookAgain):
            later.append((awaiting.report_request_id, step.at))
        elif isinstance(step, SendAgain):
            message = message_again(row)
            key = f"resend:{awaiting.status}:{awaiting.report_request_id}:{awaiting.resends + 1}"
            pending_id = await pending.enqueue(conn, awaiting.ven_id, message, dedup_key=key)
            await confirmation_store.sent_again(conn, awaiting.report_request_id, pending_id, now + policy.wait)
            result.sent_again.append(
                Resent(awaiting.ven_id, awaiting.report_request_id, message.message_type, awaiting.resends + 1)
            )
        elif isinstance(step, GiveUp):
            result.given_up.append(Resent(awaiting.ven_id, awaiting.report_request_id, _message_type(row), awaiting.resends))
        else:
            settled.append(awaiting.report_request_id)
    await confirmation_store.look_again(conn, later)
    await confirmation_store.settle(conn, settled)
    await confirmation_store.give_up(conn, [r.report_request_id for r in result.given_up], now)
    return result


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
