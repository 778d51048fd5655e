"""Judging a VEN's answers: which oadrCreatedEvent responses are acceptable, and what a VEN's opt for an
event finally is once oadrCreateOpt and oadrCreatedEvent are both counted.

Pure: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass

from shared.oadr.common import ResponseCode
from shared.oadr.event import EventResponse
from shared.oadr.opt import OptType


@dataclass(frozen=True)
class Verdict:
    code: int
    description: str

    @property
    def accepted(self) -> bool:
        return self.code == ResponseCode.OK


ACCEPTED = Verdict(ResponseCode.OK, "OK")


def judge_response(response: EventResponse, current: int | None, targeted: bool) -> Verdict:
    """An answer counts for the current version of an event sent to this VEN. `current` is the event's
    modificationNumber, None for an unknown event.

    Unknown event, or one not sent to this VEN: 452 (invalid ID, as OpenLEADR's VTN answers). An older
    modification: 450 (out of sequence; the VEN has the newer one waiting). A modification the VTN never
    made: 454 (invalid data).
    """
    if current is None or not targeted:
        return Verdict(ResponseCode.INVALID_ID, f"no event {response.event_id!r} for this VEN")
    if response.modification_number < current:
        return Verdict(
            ResponseCode.OUT_OF_SEQUENCE,
            f"event {response.event_id!r} is at modification {current}, not {response.modification_number}",
        )
    if response.modification_number > current:
        return Verdict(
            ResponseCode.INVALID_DATA,
            f"event {response.event_id!r} has no modification {response.modification_number} (current {current})",
        )
    return ACCEPTED


def worst(verdicts: list[Verdict]) -> Verdict:
    """The answer to a whole oadrCreatedEvent: OK only if every response was, else the first refusal."""
    return next((v for v in verdicts if not v.accepted), ACCEPTED)


def effective_opt(created_event_opt: OptType | None, create_opt_opt: OptType | None) -> OptType | None:
    """An oadrCreateOpt for the event takes precedence over any oadrCreatedEvent answer."""
    return create_opt_opt if create_opt_opt is not None else created_event_opt
