"""Hands newly received report data to the operator's OpenLEADR-style code: per-rID callbacks returned by
`on_register_report`, else `on_update_report` with the whole report.

Called in the transaction that stores the data, with only the records that were new: a redelivered
message whose data was committed does not call again; a crash before commit calls again (at-least-once,
as every handler here). Callbacks named in the stored requests are found again after a restart. A handler's exception is logged and does not refuse the VEN's data, which is already accepted.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

from report_svc.ven_reports.openleadr_compat import Callback, callback_values, data_report_dict
from report_svc.ven_reports.report_data import RequestedReport
from shared.contract.reports import ReportData
from shared.plugins import call_handler, load_callable

log = logging.getLogger(__name__)


class UpdateHandlers:
    def __init__(self, on_update_report: Callback | None) -> None:
        self._on_update_report = on_update_report
        self._callbacks: dict[tuple[str, str], Callback] = {}
        self._loaded: dict[str, Callback] = {}

    def remember(self, report_request_id: str, r_id: str, callback: Callback) -> None:
        self._callbacks[(report_request_id, r_id)] = callback

    async def deliver(self, records: Sequence[ReportData], requested: Mapping[str, RequestedReport]) -> None:
        """`requested`: the stored requests the records answer (their callbacks)."""
        if not records:
            return
        by_report: dict[str, list[ReportData]] = {}
        for record in records:
            by_report.setdefault(record.report_request_id, []).append(record)
        stored = {(i, r_id): ref for i in by_report if i in requested for r_id, ref in requested[i].callbacks.items()}
        for report_request_id, report_records in by_report.items():
            by_point: dict[str, list[ReportData]] = {}
            for record in report_records:
                by_point.setdefault(record.r_id, []).append(record)
            called = False
            for r_id, point_records in by_point.items():
                callback = self._callback(report_request_id, r_id, stored)
                if callback is not None:
                    called = True
                    await self._call(callback, callback_values(point_records))
            if not called and self._on_update_report is not None:
                await self._call(self._on_update_report, data_report_dict(report_records))

    def _callback(self, report_request_id: str, r_id: str, stored: dict[tuple[str, str], str]) -> Callback | None:
        key = (report_request_id, r_id)
        if key in self._callbacks:
            return self._callbacks[key]
        reference = stored.get(key)
        if reference is None:
            return None
        if reference not in self._loaded:
            try:
                self._loaded[reference] = load_callable(reference)
            except (ImportError, AttributeError, ValueError) as exc:
                log.error(
                    "report callback not found",
                    extra={"action": "report_callback_missing", "callback": reference, "error": repr(exc)},
                )
                return None
        return self._loaded[reference]

    async def _call(self, handler: Callback, argument: object) -> None:
        try:
            await call_handler(handler, argument)
        except Exception as exc:
            log.exception("report handler failed", extra={"action": "report_handler_failed", "error": repr(exc)})
