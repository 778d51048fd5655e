"""A 2.0a VEN's event set made into its answer (shared.oadr_xml.profile_a.set_answers), with the events 2.0a
cannot carry left out visibly: each one is logged (action `event_left_out_for_2_0a`) and counted.

event_svc refuses an event that targets 2.0a VENs it cannot reach; one can still meet a 2.0a VEN that was
provisioned after the event was made for its venID, and then it is left out of that VEN's sets.
"""

from __future__ import annotations

import logging

from prometheus_client import Counter

from shared.oadr import profile_a
from shared.oadr.event import DistributeEvent
from shared.oadr_xml.profile_a.set_answers import SetAnswer, set_answer

log = logging.getLogger(__name__)

EVENTS_LEFT_OUT = Counter(
    "vtn_gateway_events_left_out_2_0a", "Events left out of a 2.0a VEN's set because OpenADR 2.0a cannot carry them"
)


def set_answer_for(ven_id: str, message: DistributeEvent) -> SetAnswer:
    for event_id, problems in profile_a.left_out(message.events):
        EVENTS_LEFT_OUT.inc()
        log.warning(
            "event left out of a 2.0a VEN's set",
            extra={"action": "event_left_out_for_2_0a", "ven_id": ven_id, "event_id": event_id, "detail": "; ".join(problems)},
        )
    return set_answer(message)
