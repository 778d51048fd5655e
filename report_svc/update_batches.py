"""oadrUpdateReports handled many at a time: one transaction for all those of a consumer fetch.

Report data is the heaviest traffic a VTN carries, and handled one message at a time it costs a transaction
of several statements each. Here a batch costs four round trips to PostgreSQL whatever its size: the VENs'
registrations, the requests the reports answer, one insert of every interval, and the commit. Each message
is still judged on its own: one refused (unregistered VEN, a report nobody requested) gets its OpenADR error
while the others are stored.

No inbox row is kept for these messages: the data rows are their own idempotency record (one row per
request, rID and dtstart; a repeat inserts nothing). A redelivered message stores nothing again and calls no
handler again, and its answer is worked out anew. Once committed, the report-data relay is woken to publish.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import asyncpg

from report_svc import store
from report_svc.report_data import without_repeats
from report_svc.update_answers import checked_update
from report_svc.update_handlers import UpdateHandlers
from shared.contract.envelope import Envelope, utcnow
from shared.contract.reports import ReportData
from shared.contract.ven_traffic import ContractModel, VenReply, VenRequest
from shared.db.vens import registered_among, unregistered
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
        messages = [_update_report(envelope) for envelope in envelopes]
        received_at = utcnow()
        async with self._pool.acquire() as conn, conn.transaction():
            registered = await registered_among(conn, {m.ven_id for m in messages if m.ven_id is not None})
            requested = await store.requested(conn, sorted({r.report_request_id for m in messages for r in m.reports}))
            replies: list[ContractModel | None] = []
            records: list[ReportData] = []
            for message in messages:
                ven_id = message.ven_id
                if ven_id is None or ven_id not in registered:
                    replies.append(unregistered(ven_id))
                    continue
                answer, accepted = checked_update(message, ven_id, requested, received_at)
                replies.append(VenReply(message=answer))
                records.extend(accepted)
            new = await store.insert_data(conn, without_repeats(records), self._lanes)
            await self._handlers.deliver(new, requested)
        self._stored()
        return replies


def _update_report(envelope: Envelope) -> UpdateReport:
    request = envelope.payload
    if not isinstance(request, VenRequest) or not isinstance(request.message, UpdateReport):
        raise TypeError(f"not an oadrUpdateReport: {envelope.type}")
    return request.message
