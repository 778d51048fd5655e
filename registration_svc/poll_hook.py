"""VTN_ON_POLL: OpenLEADR's `on_poll(ven_id)` handler, asked when nothing waits in the VEN's own queue.

What the handler may return, as with OpenLEADR's VTN: None (nothing for the VEN), an event or a list of
events (an oadrDistributeEvent), or a tuple (message_type, payload) for oadrDistributeEvent
({"events": [...]}), oadrRequestReregistration or oadrResponse (nothing). oadrCancelPartyRegistration is
refused: cancelling changes the registration, which goes through the operator's command instead. A handler
that fails or returns anything else is logged and the VEN gets "nothing pending".

Every answer here is non-cacheable, the "nothing pending" ones included: otherwise the gateway would repeat
the first "nothing" and never ask the handler again. So with VTN_ON_POLL set, every poll costs a Kafka round
trip to registration_svc (and a call of the handler), as in OpenLEADR's design where every poll calls it.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Mapping
from dataclasses import is_dataclass
from datetime import datetime
from typing import Any

from shared.contract.envelope import utcnow
from shared.contract.ven_traffic import VenReply
from shared.oadr import answers
from shared.oadr.event import DistributeEvent
from shared.oadr.messages import VtnMessage
from shared.oadr.registration import RequestReregistration
from shared.openleadr_events import InvalidHandlerEvents, events_from_handler
from shared.plugins import call_handler

log = logging.getLogger(__name__)


def _is_single_event(result: Any) -> bool:
    if isinstance(result, Mapping):
        return "event_descriptor" in result
    return is_dataclass(result) and hasattr(result, "event_descriptor")


def message_from_handler(result: Any, ven_id: str, vtn_id: str, request_id: str, now: datetime) -> VtnMessage | None:
    """The message an on_poll result stands for (None: nothing for the VEN). Raises InvalidHandlerEvents."""
    if result is None:
        return None
    if isinstance(result, tuple) and len(result) == 2 and isinstance(result[0], str):
        message_type, payload = result
        if message_type == "oadrResponse":
            return None
        if message_type == "oadrRequestReregistration":
            return RequestReregistration(ven_id=ven_id)
        if message_type == "oadrDistributeEvent":
            if not isinstance(payload, Mapping):
                raise InvalidHandlerEvents("an oadrDistributeEvent payload is a dict with 'events'")
            events = events_from_handler(payload.get("events"), ven_id, now)
            return DistributeEvent(request_id=request_id, vtn_id=vtn_id, events=events)
        raise InvalidHandlerEvents(
            f"on_poll may not send {message_type!r} (supported: oadrDistributeEvent, oadrRequestReregistration)"
        )
    if isinstance(result, list) or _is_single_event(result):
        return DistributeEvent(request_id=request_id, vtn_id=vtn_id, events=events_from_handler(result, ven_id, now))
    raise InvalidHandlerEvents(f"on_poll returned a {type(result).__name__}, not a message")


class PollHook:
    """Asks the handler for a VEN's next message; every reply it gives is non-cacheable."""

    def __init__(self, handler: Callable[..., Any], vtn_id: str) -> None:
        self._handler = handler
        self._vtn_id = vtn_id

    async def reply(self, ven_id: str) -> VenReply:
        try:
            result = await call_handler(self._handler, ven_id)
            message = message_from_handler(result, ven_id, self._vtn_id, str(uuid.uuid4()), utcnow())
        except Exception:  # the user's handler: any failure means nothing for the VEN this time
            log.exception("on_poll handler failed or returned an invalid message for VEN %s", ven_id)
            message = None
        return VenReply(message=message or answers.nothing_pending(ven_id), cacheable=False)
