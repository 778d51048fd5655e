"""What a command or query of an operator or backend is answered with, beside the data it asks for: a status
with HTTP semantics (200, 201, 202, 404, 409, 422...) and its detail. Each domain's outcome (`OperatorOutcome`,
`EventOutcome`, `ReportOutcome`, `VtnReportOutcome`) adds its `kind` and its data; the admin API answers with
the status (gateway.admin.service_door)."""

from __future__ import annotations

from shared.contract.ven_traffic import ContractModel


class Outcome(ContractModel):
    kind: str
    status: int
    detail: str
