"""A 2.0a VEN's event set made into its answer to a pull (shared.oadr_xml.profile_a.set_answers) or into the
document pushed to it, with the events 2.0a cannot carry left out visibly: each one is logged (action
`event_left_out_for_2_0a`) and counted.

event_svc refuses an event that targets 2.0a VENs it cannot reach; one can still meet a 2.0a VEN that was
provisioned after the event was made for its venID, and then it is left out of that VEN's sets.
"""

from __future__ import annotations

import logging

from prometheus_client import Counter

from shared.oadr import profile_a
from shared.oadr.event import DistributeEvent
from shared.oadr_xml.profile_a.codec import encode
from shared.oadr_xml.profile_a.set_answers import SetAnswer, set_answer

log = logging.getLogger(__name__)

EVENTS_LEFT_OUT = Counter(
    "vtn_gateway_events_left_out_2_0a", "Events left out of a 2.0a VEN's set because OpenADR 2.0a cannot carry them"
)


def _report_left_out(ven_id: str, message: DistributeEvent) -> None:
    for event_id, problems in profile_a.left_out(message.events):
        EVENTS_LEFT_OUT.inc()
        log.warning(
            "event left out of a 2.0a VEN's set",
            extra={
                "action": "event_left_out_for_2_0a",
                "ven_id": ven_id,
                "event_id": event_id,
                "detail": "; ".join(problems),
            },
        )


def set_answer_for(ven_id: str, message: DistributeEvent) -> SetAnswer:
    """The VEN's set as the answer to any of its oadrRequestEvents."""
    _report_left_out(ven_id, message)
    return set_answer(message)


def push_document(ven_id: str, message: DistributeEvent, request_id: str | None = None) -> bytes:
    """The oadrDistributeEvent (2.0a) to post to a 2.0a VEN at `<its transport address>/OpenADR2/Simple/EiEvent`:
    its queued set, under `request_id` when given (else the set's own), without an eiResponse (it answers no
    request of the VEN's). The VEN answers with an oadrResponse (`profile_a.codec.decode_push_answer`)."""
    _report_left_out(ven_id, message)
    pushed = message.model_copy(update={"response": None, "request_id": request_id or message.request_id})
    return encode(pushed)
