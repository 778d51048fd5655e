"""Calls the operator's OpenLEADR-style on_ven_online(ven_id) / on_ven_offline(ven_id) handlers.

They run as a consumer of the presence topic (their own consumer group), so a handler call survives a
restart of presence_svc: at-least-once, in order per VEN.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from shared.contract.backend_events import PresenceEvent, PresenceStatus
from shared.contract.envelope import Envelope
from shared.plugins import call_handler


class PresenceHandlers:
    def __init__(self, on_ven_online: Callable[..., Any] | None, on_ven_offline: Callable[..., Any] | None) -> None:
        self._handlers = {PresenceStatus.ONLINE: on_ven_online, PresenceStatus.OFFLINE: on_ven_offline}

    @property
    def configured(self) -> bool:
        return any(self._handlers.values())

    async def __call__(self, envelope: Envelope) -> None:
        event = envelope.payload
        if not isinstance(event, PresenceEvent):
            return None
        handler = self._handlers[event.status]
        if handler is not None:
            await call_handler(handler, event.ven_id)
        return None
