"""oadrUpdateReports handled many at a time: one transaction for all those of a consumer fetch.

Report data is the heaviest traffic a VTN carries, and handled one message at a time it costs a transaction
of several statements each. Here a batch costs four round trips to PostgreSQL whatever its size: the VENs'
registrations (by certificate, or by venID without one: shared.db.vens; a second query only for a batch that
mixes both), the requests the reports answer, one insert of every interval, and the commit. Each message
is still judged on its own: one refused (unregistered VEN, a report nobody requested) gets its OpenADR error
while the others are stored.

No inbox row is kept for these messages: the data rows are their own idempotency record (one row per
request, rID and dtstart; a repeat inserts nothing). A redelivered message stores nothing again and calls no
handler again, and its answer is worked out anew. Once committed, the report-data relay is woken to publish.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import asyncpg

from report_svc.ven_reports import store
from report_svc.ven_reports.report_data import without_repeats
from report_svc.ven_reports.updates.answers import checked_update
from report_svc.ven_reports.updates.handlers import UpdateHandlers
from shared.contract.envelope import Envelope, utcnow
from shared.contract.reports import ReportData
from shared.contract.ven_traffic import ContractModel, RequestContext, VenReply, VenRequest
from shared.db.vens import registered_speaker, speakers_of
from shared.oadr.report import UpdateReport


class UpdateReportBatches:
    def __init__(self, pool: asyncpg.Pool, handlers: UpdateHandlers, lanes: int, stored: Callable[[], None]) -> None:
        self._pool = pool
        self._handlers = handlers
        self._lanes = lanes
        self._stored = stored

    def accepts(self, envelope: Envelope) -> bool:
        request = envelope.payload
        return isinstance(request, VenRequest) and isinstance(request.message, UpdateReport)

    async def handle_batch(self, envelopes: Sequence[Envelope]) -> list[ContractModel | None]:
        requests = [_update_report(envelope) for envelope in envelopes]
        received_at = utcnow()
        async with self._pool.acquire() as conn, conn.transaction():
            speakers = await speakers_of(conn, [(r.message.ven_id, r.context) for r in requests])
            report_request_ids = sorted({report.report_request_id for r in requests for report in r.message.reports})
            requested = await store.requested(conn, report_request_ids)
            replies: list[ContractModel | None] = []
            records: list[ReportData] = []
            for request, speaker in zip(requests, speakers, strict=True):
                message = request.message
                ven_id = registered_speaker(speaker, message.ven_id)
                if isinstance(ven_id, VenReply):
                    replies.append(ven_id)
                    continue
                answer, accepted = checked_update(message, ven_id, requested, received_at)
                replies.append(VenReply(message=answer))
                records.extend(accepted)
            new = await store.insert_data(conn, without_repeats(records), self._lanes)
            await self._handlers.deliver(new, requested)
        self._stored()
        return replies


@dataclass(frozen=True)
class _UpdateRequest:
    message: UpdateReport
    context: RequestContext


def _update_report(envelope: Envelope) -> _UpdateRequest:
    request = envelope.payload
    if not isinstance(request, VenRequest) or not isinstance(request.message, UpdateReport):
        raise TypeError(f"not an oadrUpdateReport: {envelope.type}")
    return _UpdateRequest(request.message, request.context)
