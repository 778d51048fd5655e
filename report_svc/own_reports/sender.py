"""The periodic job that queues the VTN's reports VENs requested: every due request gets its oadrUpdateReport
on the VEN's next poll, and its plan moves on, in one transaction (rows locked with SKIP LOCKED, so several
report_svc instances share the work and a report is queued once)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

import asyncpg

from report_svc.own_reports import messages as vtn_messages
from report_svc.own_reports import store as vtn_store
from report_svc.own_reports.catalog import VtnReport
from report_svc.own_reports.changes import baseline, changed_only, is_on_change
from report_svc.own_reports.data import ReadingRequest, VtnReportSource
from report_svc.own_reports.requests_from_vens import Clock
from report_svc.own_reports.schedule import Plan, acknowledgement_grace, lost_span_start, step
from shared.contract.envelope import utcnow
from shared.db import pending
from shared.db.connection import Conn
from shared.db.outbox import OutboxRelay
from shared.db.vens import is_registered

log = logging.getLogger(__name__)
BATCH = 200


class VtnReportSender:
    def __init__(
        self,
        pool: asyncpg.Pool,
        catalog: Sequence[VtnReport],
        source: VtnReportSource,
        relay: OutboxRelay,
        confirm_wait: timedelta,
        clock: Clock = utcnow,
    ) -> None:
        self._pool = pool
        self._confirm_wait = confirm_wait  # an on-change report unacknowledged this long may be lost
        self._catalog = {r.report_specifier_id: r for r in catalog}
        self._source = source
        self._relay = relay
        self._clock = clock

    async def __call__(self) -> None:
        while await self.send_due() >= BATCH:
            pass

    async def send_due(self) -> int:
        """Queue the reports due now (at most BATCH); return how many requests were handled."""
        async with self._pool.acquire() as conn:
            async with conn.transaction():
                now = self._clock()
                due = await vtn_store.due(conn, now, BATCH)
                queued = 0
                for request in due:
                    queued += await self._send(conn, request, now)
        if queued:
            self._relay.wake()
        return len(due)

    async def _send(self, conn: Conn, due: vtn_store.DueRequest, now: datetime) -> int:
        request = due.request
        report_request_id = request.report_request_id
        specifier = request.report_specifier
        report = self._catalog.get(specifier.report_specifier_id)
        if report is None or not await is_registered(conn, due.ven_id):
            # The VTN no longer offers this report (its METADATA changed), or the VEN left: nothing more to send.
            await vtn_store.advance(conn, due.ven_id, report_request_id, Plan(None, due.plan.covered_until), sent=None)
            return 0
        # A last report that may have been lost: on change, every point goes again (own_reports.changes.baseline);
        # periodic, the next covers its span again.
        grace = acknowledgement_grace(specifier, self._confirm_wait)
        again_from = (
            None
            if is_on_change(specifier)
            else lost_span_start(
                specifier, due.last_sent_from, due.last_sent_acknowledged, due.last_sent_delivered_at, now, grace
            )
        )
        final = due.status == vtn_store.VtnRequestStatus.CANCELLED
        planned = step(specifier, due.plan, now, final=final, again_from=again_from)
        if planned is None:
            return 0
        points = [p for payload in specifier.specifier_payloads if (p := report.point(payload.r_id)) is not None]
        intervals = await self._source.intervals(
            [
                ReadingRequest(due.ven_id, report_request_id, report.report_specifier_id, p, planned.window)
                for p in points
            ]
        )
        last_values = None
        if intervals and is_on_change(specifier):
            on_change = frozenset(p.r_id for p in points if p.on_change)
            compared_with = baseline(
                due.last_values, due.last_sent_acknowledged, due.last_sent_delivered_at, now, grace
            )
            intervals, last_values = changed_only(intervals, on_change, compared_with)
            if not intervals:
                log.debug(
                    "nothing changed for an on-change VTN report",
                    extra={"action": "vtn_report_unchanged", "ven_id": due.ven_id},
                )
        elif not intervals:
            log.info(
                "no data for a VTN report",
                extra={"action": "vtn_report_no_data", "ven_id": due.ven_id, "report_request_id": report_request_id},
            )
        sent = None
        if intervals:
            message = vtn_messages.update_report(
                due.ven_id, request, report.report_name, planned.window, intervals, now
            )
            key = f"vtn-update-report:{report_request_id}:{due.created_at.timestamp()}:{due.reports_sent}"
            pending_id = await pending.enqueue(conn, due.ven_id, message, dedup_key=key)
            if pending_id is not None:
                sent = vtn_store.SentReport(message.request_id, pending_id, planned.window.date_from)
        await vtn_store.advance(
            conn, due.ven_id, report_request_id, planned.after, sent=sent, last_values=last_values if sent else None
        )
        return 0 if sent is None else 1
