"""Commands and queries about the VTN's own reports (republish the METADATA, list it, list a VEN's requests),
beside the commands about VENs' reports (report_svc.ven_reports.commands) on the same topic."""

from __future__ import annotations

from collections.abc import Sequence

from report_svc.own_reports import store as vtn_store
from report_svc.own_reports.catalog import VtnReport, metadata_reports
from report_svc.own_reports.requests_from_vens import offer_reports
from report_svc.ven_reports import commands
from shared.contract.envelope import Envelope, Payload, utcnow
from shared.contract.vtn_reports import (
    ListVtnReportRequests,
    ListVtnReports,
    PublishVtnReports,
    VtnReportCatalog,
    VtnReportOutcome,
)
from shared.db.connection import Conn
from shared.db.vens import unknown_vens

QUERIES = (*commands.QUERIES, ListVtnReports, ListVtnReportRequests)


class ReportCommands:
    def __init__(self, catalog: Sequence[VtnReport]) -> None:
        self._catalog = tuple(catalog)

    async def handle_query(self, conn: Conn, envelope: Envelope) -> Payload | None:
        query = envelope.payload
        if isinstance(query, ListVtnReports):
            return VtnReportCatalog(reports=metadata_reports(self._catalog, utcnow()))
        if isinstance(query, ListVtnReportRequests):
            if (unknown := await unknown_vens(conn, [query.ven_id])) is not None:
                return VtnReportOutcome(status=404, detail=unknown)
            return VtnReportOutcome(status=200, detail="OK", requests=tuple(await vtn_store.views(conn, query.ven_id)))
        return await commands.handle_query(conn, envelope)

    async def handle_command(self, conn: Conn, envelope: Envelope) -> Payload | None:
        command = envelope.payload
        if isinstance(command, PublishVtnReports):
            return await self._publish(conn, command, envelope.message_id)
        return await commands.handle_command(conn, envelope)

    async def _publish(self, conn: Conn, command: PublishVtnReports, message_id: str) -> VtnReportOutcome:
        ven_ids = await vtn_store.registered_ven_ids(conn, command.ven_ids)
        missing = sorted(set(command.ven_ids) - set(ven_ids))
        if missing:
            return VtnReportOutcome(status=404, detail=f"no registered VEN with venID {missing}")
        now = utcnow()
        for ven_id in ven_ids:
            await offer_reports(conn, ven_id, self._catalog, now, reason=f"publish:{message_id}")
        return VtnReportOutcome(
            status=202, detail=f"oadrRegisterReport queued for {len(ven_ids)} VENs' next poll", ven_ids=tuple(ven_ids)
        )
