"""Which of the reports a VEN offers the VTN requests: the operator's policy.

`nothing` requests none; `telemetry` every TELEMETRY_USAGE and TELEMETRY_STATUS report at the configured
granularity and reportBackDuration (fitted into the VEN's sampling rates); `handler` asks an
OpenLEADR-compatible `on_register_report`, which also returns the callbacks for the data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from report_svc.ven_reports.openleadr_compat import Callback, choices_from_handler
from report_svc.ven_reports.requests_to_vens import build_request, data_report_name, telemetry_requests
from shared.oadr.report_parts import Report, ReportRequest
from shared.settings import ReportPolicyName


@dataclass(frozen=True)
class ReportPolicy:
    name: ReportPolicyName
    granularity: timedelta
    report_back_duration: timedelta
    on_register_report: Callback | None = None


@dataclass(frozen=True)
class PlannedRequest:
    request: ReportRequest
    report_name: str | None
    callbacks: dict[str, Callback] = field(default_factory=dict)


async def planned_requests(policy: ReportPolicy, ven_id: str, offered: Sequence[Report]) -> list[PlannedRequest]:
    names = {r.report_specifier_id: data_report_name(r.report_name) for r in offered}
    if policy.name is ReportPolicyName.TELEMETRY:
        return [
            PlannedRequest(r, names[r.report_specifier.report_specifier_id])
            for r in telemetry_requests(offered, policy.granularity, policy.report_back_duration)
        ]
    if policy.name is ReportPolicyName.HANDLER and policy.on_register_report is not None:
        choices = await choices_from_handler(policy.on_register_report, ven_id, offered)
        return [
            PlannedRequest(
                build_request(
                    c.metadata, r_ids=c.r_ids, granularity=c.granularity, report_back_duration=c.report_back_duration
                ),
                names[c.metadata.report_specifier_id],
                c.callbacks,
            )
            for c in choices
        ]
    return []
