"""The audit trail of operators' changes: one `OperatorAction` per change made through the admin API or the
operator console (and per sign-in), with who made it and how it ended, published on `oadr.operator.audit.v1`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from shared.contract.ven_traffic import ContractModel


class OperatorAction(ContractModel):
    """`action` is the HTTP method and route (e.g. "POST /api/v1/events"); `target` the VEN, event or operator
    it named; `status` the HTTP status it ended with; `detail` the request body as sent (secrets left out)."""

    kind: Literal["operator_action"] = "operator_action"
    actor: str
    role: str
    via: Literal["token", "session"]
    action: str
    target: str | None = None
    status: int
    detail: dict[str, Any] | None = None
    occurred_at: datetime
