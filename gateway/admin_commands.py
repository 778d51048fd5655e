"""What every admin router shares: the Idempotency-Key header, the documented 404 of routes that name a
VEN, and sending one command to a service's command topic over request-reply."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Header, HTTPException, status

from gateway.exchange import Requester
from shared.bus.errors import BusError, RecordTooLarge
from shared.contract.envelope import Envelope
from shared.contract.ven_traffic import ContractModel

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=200,
        description="Retrying a command with the same key returns the first outcome instead of repeating it.",
    ),
]

# Every route naming a VEN (in its path, its query or its body) answers 404 for a venID the VTN does not know.
UNKNOWN_VEN: dict[int | str, dict[str, Any]] = {404: {"description": "No VEN with this venID (the detail names it)"}}


async def send_command(
    requester: Requester,
    topic: str,
    service: str,
    timeout_seconds: float,
    payload: ContractModel,
    key: str | None,
    idempotency_key: str | None = None,
) -> ContractModel:
    """The service's answer to `payload`, keyed by `key` (a venID or eventID); 503 if it cannot be asked."""
    envelope = Envelope(ven_id=key, payload=payload)  # type: ignore[arg-type]
    if idempotency_key:
        # A client retrying after a timeout gets the first outcome, not a second side effect.
        message_id = f"admin:{payload.kind}:{key}:{idempotency_key}"  # type: ignore[attr-defined]
        envelope = envelope.model_copy(update={"message_id": message_id})
    try:
        reply = await requester.request(topic, envelope, timeout_seconds)
    except RecordTooLarge as exc:
        raise HTTPException(status.HTTP_413_REQUEST_ENTITY_TOO_LARGE, f"command too large for the bus: {exc}") from None
    except BusError as exc:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, f"{service} unavailable: {exc}") from None
    return reply.payload
