"""What every admin router shares: the Idempotency-Key header, the documented 404 of routes that name a
VEN, and asking a service over its command topic (`ServiceDoor`), with the one mapping of its answers onto
HTTP: 503 when it cannot be asked, its refusal (an outcome with status 400 or more) as that HTTP error, 502
for an answer of a kind the route does not expect."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from fastapi import Header, HTTPException, status
from fastapi.responses import JSONResponse

from gateway.exchange import Requester
from shared.bus.errors import BusError, RecordTooLarge
from shared.contract.envelope import Envelope
from shared.contract.outcome import Outcome
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

Answer = TypeVar("Answer", bound=ContractModel)


@dataclass(frozen=True)
class ServiceDoor:
    """One service's command topic, asked over request-reply; `service` names it in 503 and 502 answers."""

    requester: Requester
    topic: str
    service: str
    timeout_seconds: float

    async def ask(
        self,
        payload: ContractModel,
        expected: type[Answer],
        *,
        ven_id: str | None = None,
        event_id: str | None = None,
        idempotency_key: str | None = None,
        absence_answers: bool = False,
    ) -> Answer:
        """The service's answer to `payload`, of type `expected`. The record is keyed by `event_id` when the
        command is about one event, else by the VEN `ven_id` it is about. With `absence_answers`, a 404 outcome
        (no such VEN or event) is returned as the answer, for a caller that shows the absence itself."""
        key = event_id if event_id is not None else ven_id
        envelope = Envelope(key=key, ven_id=ven_id, payload=payload)  # type: ignore[arg-type]
        if idempotency_key:
            # A client retrying after a timeout gets the first outcome, not a second side effect.
            message_id = f"admin:{payload.kind}:{key}:{idempotency_key}"  # type: ignore[attr-defined]
            envelope = envelope.model_copy(update={"message_id": message_id})
        try:
            reply = await self.requester.request(self.topic, envelope, self.timeout_seconds)
        except RecordTooLarge as exc:
            raise HTTPException(
                status.HTTP_413_REQUEST_ENTITY_TOO_LARGE, f"command too large for the bus: {exc}"
            ) from None
        except BusError as exc:
            raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, f"{self.service} unavailable: {exc}") from None
        answer = reply.payload
        absent = absence_answers and isinstance(answer, Outcome) and answer.status == status.HTTP_404_NOT_FOUND
        if isinstance(answer, Outcome) and answer.status >= 400 and not absent:
            raise HTTPException(answer.status, answer.detail)
        if not isinstance(answer, expected):
            raise HTTPException(status.HTTP_502_BAD_GATEWAY, f"unexpected answer {answer.kind} from the {self.service}")
        return answer


def outcome_response(outcome: Outcome) -> JSONResponse:
    """An accepted command's outcome as the JSON answer, with its status."""
    return JSONResponse(outcome.model_dump(mode="json", exclude={"kind"}), status_code=outcome.status)
